//! Tests of the worker with a scripted client and signer (no network).

use std::cell::Cell;
use std::collections::VecDeque;

use attest_store::{MemoryStore, RecordWrite};

use super::*;
use crate::intent::IntentFields;
use crate::persistent::INTENT_NAMESPACE;

const T0: i64 = 1_736_942_400_000_000; // 2025-01-15T12:00:00Z
const SEC: i64 = 1_000_000;

fn intent(n: u8) -> Intent {
    Intent::new(
        IntentFields {
            subject_type: "nexus.audit_package".into(),
            binding_digest: format!("sha256:{}", format!("{n:02x}").repeat(32)),
            ..IntentFields::default()
        },
        Validation::Strict,
    )
    .unwrap()
}

#[derive(Default)]
struct Script {
    submits: VecDeque<Result<SubmitResult, TransportError>>,
    lookups: VecDeque<Result<TxStatus, TransportError>>,
    submitted: Vec<String>,
    looked_up: Vec<String>,
}

impl XrplClient for Script {
    fn submit(&mut self, blob: &str) -> Result<SubmitResult, TransportError> {
        self.submitted.push(blob.to_owned());
        self.submits.pop_front().unwrap_or_else(|| Err(down()))
    }
    fn get_tx(&mut self, tx_hash: &str) -> Result<TxStatus, TransportError> {
        self.looked_up.push(tx_hash.to_owned());
        self.lookups.pop_front().unwrap_or_else(|| Err(down()))
    }
}

fn down() -> TransportError {
    TransportError { timeout: false, message: "connection refused".into() }
}

fn accepted(hash: Option<&str>) -> Result<SubmitResult, TransportError> {
    Ok(SubmitResult {
        accepted: true,
        tx_hash: hash.map(str::to_owned),
        engine_result: Some("tesSUCCESS".into()),
        ..SubmitResult::default()
    })
}

fn validated() -> Result<TxStatus, TransportError> {
    Ok(TxStatus {
        found: true,
        validated: true,
        ledger_index: Some(99_000_500),
        engine_result: Some("tesSUCCESS".into()),
        ..TxStatus::default()
    })
}

fn not_found(engine_result: Option<&str>) -> Result<TxStatus, TransportError> {
    Ok(TxStatus { engine_result: engine_result.map(str::to_owned), ..TxStatus::default() })
}

struct Signer(Cell<u32>);

impl XrplSigner for Signer {
    fn account(&self) -> &str {
        "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
    }
    fn key_id(&self) -> &str {
        "ed:test"
    }
    fn sign(&self, _tx: &Value) -> Result<SignedTx, String> {
        let n = self.0.get() + 1;
        self.0.set(n);
        Ok(SignedTx { signed_tx_blob_hex: format!("b{n}"), tx_hash: format!("H{n}"), key_id: "ed:test".into() })
    }
}

fn cycle(q: &PersistentQueue<MemoryStore>, client: &mut Script, now: i64) -> CycleOutcome {
    let signer = Signer(Cell::new(0));
    Worker::new(q, client, &signer, WorkerConfig::default()).run_once(now).unwrap()
}

fn statuses(out: &CycleOutcome) -> Vec<(&'static str, i64)> {
    out.receipts.iter().map(|r| (r.status().as_str(), r.attempt())).collect()
}

fn status(q: &PersistentQueue<MemoryStore>, i: &Intent) -> (String, i64) {
    let s = q.status(&i.queue_id()).unwrap().unwrap();
    (s.status, s.last_attempt)
}

#[test]
fn submit_then_confirm_in_one_cycle() {
    let q = PersistentQueue::new(MemoryStore::new());
    let a = intent(1);
    q.enqueue(&a, "2025-01-15T12:00:00+00:00").unwrap();
    let mut c = Script::default();
    c.submits.push_back(accepted(Some("NODEHASH")));
    c.lookups.push_back(validated());
    let out = cycle(&q, &mut c, T0);
    assert!(out.processed);
    assert_eq!(statuses(&out), [("SUBMITTED", 1), ("CONFIRMED", 1)]);
    assert_eq!(out.receipts[0].created_at(), "2025-01-15T12:00:00+00:00");
    assert_eq!(c.looked_up, ["NODEHASH"]);
    assert_eq!(status(&q, &a), ("CONFIRMED".into(), 1));
    assert!(!cycle(&q, &mut c, T0 + 3600 * SEC).processed);
    assert_eq!(out.to_value().get("processed"), Some(&Value::Bool(true)));
}

#[test]
fn a_deferred_intent_is_re_polled_never_re_submitted() {
    let q = PersistentQueue::new(MemoryStore::new());
    let a = intent(2);
    q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
    let mut c = Script::default();
    c.submits.push_back(accepted(Some("TX1")));
    c.lookups.push_back(not_found(None));
    assert_eq!(statuses(&cycle(&q, &mut c, T0)), [("SUBMITTED", 1), ("DEFERRED", 1)]);
    // backoff: not due before 5 s
    assert!(!cycle(&q, &mut c, T0 + 4 * SEC).processed);
    c.lookups.push_back(Ok(TxStatus { found: true, ..TxStatus::default() })); // found, not validated
    assert_eq!(statuses(&cycle(&q, &mut c, T0 + 5 * SEC)), [("DEFERRED", 2)]);
    // second backoff is 10 s
    assert!(!cycle(&q, &mut c, T0 + 14 * SEC).processed);
    c.lookups.push_back(validated());
    assert_eq!(statuses(&cycle(&q, &mut c, T0 + 15 * SEC)), [("CONFIRMED", 3)]);
    assert_eq!(c.submitted.len(), 1, "one transaction, however many polls");
    assert_eq!(c.looked_up, ["TX1", "TX1", "TX1"]);
    assert_eq!(status(&q, &a), ("CONFIRMED".into(), 3));
}

#[test]
fn an_expired_transaction_is_replaced() {
    let q = PersistentQueue::new(MemoryStore::new());
    let a = intent(3);
    q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
    let mut c = Script::default();
    c.submits.push_back(accepted(Some("TX1")));
    c.lookups.push_back(not_found(Some("tefMAX_LEDGER")));
    cycle(&q, &mut c, T0);
    c.submits.push_back(accepted(Some("TX2")));
    c.lookups.push_back(validated());
    assert_eq!(statuses(&cycle(&q, &mut c, T0 + 60 * SEC)), [("SUBMITTED", 2), ("CONFIRMED", 2)]);
    assert_eq!(c.looked_up, ["TX1", "TX2"]);
}

#[test]
fn submitted_without_a_node_hash_is_confirmed_with_the_signers_hash() {
    let q = PersistentQueue::new(MemoryStore::new());
    let a = intent(4);
    q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
    let mut c = Script::default();
    c.submits.push_back(accepted(None));
    c.lookups.push_back(validated());
    assert_eq!(statuses(&cycle(&q, &mut c, T0)), [("SUBMITTED", 1), ("CONFIRMED", 1)]);
    assert_eq!(c.looked_up, ["H1"]);
}

#[test]
fn a_stuck_submitted_intent_is_re_checked_after_the_deadline() {
    let q = PersistentQueue::new(MemoryStore::new());
    let a = intent(5);
    q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
    // A SUBMITTED receipt recorded by another process that then stopped.
    let mut proof = Map::new();
    proof.insert("tx_hash", Value::str("LOST"));
    let submitted = Receipt::new(
        ReceiptFields {
            intent_digest: a.queue_id(),
            backend: "xrpl".into(),
            attempt: 1,
            status: ReceiptStatus::Submitted,
            created_at: "2025-01-15T12:00:00Z".into(),
            evidence_digests: Vec::new(),
            proof,
            error: None,
        },
        Validation::Strict,
    )
    .unwrap();
    q.record_receipt(&submitted).unwrap();
    let mut c = Script::default();
    assert!(!cycle(&q, &mut c, T0 + 60 * SEC).processed, "not stale yet");
    c.lookups.push_back(validated());
    assert_eq!(statuses(&cycle(&q, &mut c, T0 + 120 * SEC)), [("CONFIRMED", 2)]);
    assert_eq!(c.looked_up, ["LOST"]);
    assert!(c.submitted.is_empty());
}

#[test]
fn an_oversized_memo_fails_that_intent_alone() {
    let q = PersistentQueue::new(MemoryStore::new());
    let big = Intent::new(
        IntentFields {
            subject_type: "x".repeat(800),
            binding_digest: format!("sha256:{}", "ab".repeat(32)),
            ..IntentFields::default()
        },
        Validation::Strict,
    )
    .unwrap();
    // Written by other means (the original does not check memo sizes), first in line.
    let row = serde_free_row(&big, "2025-01-15T11:00:00Z");
    q.store().put_record(INTENT_NAMESPACE, &big.queue_id(), RecordWrite::value(&row)).unwrap();
    let a = intent(6);
    q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
    let mut c = Script::default();
    let out = cycle(&q, &mut c, T0);
    assert_eq!(out.queue_id, Some(big.queue_id()));
    assert_eq!(statuses(&out), [("FAILED", 1)]);
    let err = out.receipts[0].error().unwrap();
    assert_eq!(err.code, "REJECTED");
    assert!(err.detail.as_deref().unwrap().starts_with("plan failed: "), "{err:?}");
    c.submits.push_back(accepted(Some("TXA")));
    c.lookups.push_back(validated());
    let out = cycle(&q, &mut c, T0);
    assert_eq!(out.queue_id, Some(a.queue_id()));
    assert_eq!(status(&q, &a), ("CONFIRMED".into(), 1));
    assert_eq!(status(&q, &big), ("FAILED".into(), 1));
}

fn serde_free_row(i: &Intent, at: &str) -> Value {
    let mut m = Map::new();
    m.insert("queue_id", Value::String(i.queue_id()));
    m.insert("intent_digest", Value::String(i.queue_id()));
    m.insert("intent_json", Value::String(i.canonical_json()));
    m.insert("created_at", Value::str(at));
    m.insert("status", Value::str("PENDING"));
    m.insert("last_attempt", Value::int(0));
    m.insert("last_error_code", Value::Null);
    m.insert("updated_at", Value::str(at));
    Value::Object(m)
}

#[test]
fn a_lost_submit_answer_is_polled_not_resubmitted() {
    let q = PersistentQueue::new(MemoryStore::new());
    let a = intent(7);
    q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
    let mut c = Script::default();
    c.submits.push_back(Err(down()));
    let out = cycle(&q, &mut c, T0);
    assert_eq!(statuses(&out), [("FAILED", 1)]);
    assert_eq!(out.receipts[0].error().unwrap().code, "BACKEND_UNAVAILABLE");
    // a lost poll answer, then the transaction turns out validated
    assert_eq!(statuses(&cycle(&q, &mut c, T0 + 5 * SEC)), [("FAILED", 2)]);
    c.lookups.push_back(validated());
    assert_eq!(statuses(&cycle(&q, &mut c, T0 + 15 * SEC)), [("CONFIRMED", 3)]);
    assert_eq!(c.submitted.len(), 1);
    assert_eq!(c.looked_up, ["H1", "H1"]);
}

#[test]
fn inconclusive_polls_end_in_timeout() {
    let q = PersistentQueue::new(MemoryStore::new());
    let a = intent(8);
    q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
    let mut c = Script::default();
    c.submits.push_back(accepted(Some("TX")));
    c.lookups.push_back(not_found(None));
    let signer = Signer(Cell::new(0));
    let config = WorkerConfig { max_confirm_polls: 2, ..WorkerConfig::default() };
    let out = Worker::new(&q, &mut c, &signer, config.clone()).run_once(T0).unwrap();
    assert_eq!(statuses(&out), [("SUBMITTED", 1), ("DEFERRED", 1)]);
    c.lookups.push_back(not_found(None));
    let out = Worker::new(&q, &mut c, &signer, config.clone()).run_once(T0 + 3600 * SEC).unwrap();
    assert_eq!(statuses(&out), [("DEFERRED", 2), ("FAILED", 2)]);
    assert_eq!(out.receipts[1].error().unwrap().code, "TIMEOUT");
    assert!(!Worker::new(&q, &mut c, &signer, config).run_once(T0 + 7200 * SEC).unwrap().processed);
}

#[test]
fn a_leased_entry_is_skipped() {
    let q = PersistentQueue::new(MemoryStore::new());
    let a = intent(9);
    q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
    let entry = q.entry(&a.queue_id()).unwrap().unwrap();
    let held = WorkerState { claimed_until: Some(T0 + 60 * SEC), ..WorkerState::default() };
    q.commit(&entry, None, &held).unwrap();
    let mut c = Script::default();
    assert!(!cycle(&q, &mut c, T0).processed);
    c.submits.push_back(accepted(Some("T")));
    c.lookups.push_back(validated());
    assert!(cycle(&q, &mut c, T0 + 60 * SEC).processed, "the lease expired");
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let c = WorkerConfig::default();
    let got: Vec<i64> = (1..=8).map(|f| backoff_micros(&c, f) / SEC).collect();
    assert_eq!(got, [5, 10, 20, 40, 80, 160, 300, 300]);
    assert_eq!(backoff_micros(&c, u32::MAX) / SEC, 300);
}
