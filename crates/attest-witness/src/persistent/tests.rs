//! Tests of the persistent queue: the same behaviour as `MemoryQueue` (monotone) on the
//! memory, SQLite and redb stores, durability, and narratives read from it.

use std::sync::Arc;

use attest_store::{MemoryStore, Store};
use attest_store_redb::RedbStore;
use attest_store_sqlite::SqliteStore;

use super::*;
use crate::intent::IntentFields;
use crate::narrative::{show_intent, NarrativeOptions};
use crate::queue::MemoryQueue;
use crate::receipt::{ReceiptFailure, ReceiptFields};

pub(crate) fn intent(n: u8) -> Intent {
    Intent::new(
        IntentFields {
            subject_type: "nexus.audit_package".into(),
            binding_digest: format!("sha256:{}", format!("{n:02x}").repeat(32)),
            env: Some("prod".into()),
            ..IntentFields::default()
        },
        Validation::Strict,
    )
    .unwrap()
}

fn receipt(intent: &Intent, attempt: i64, status: ReceiptStatus, at: &str) -> Receipt {
    let mut proof = Map::new();
    if status != ReceiptStatus::Failed {
        proof.insert("tx_hash", Value::str("AB12"));
    }
    if status == ReceiptStatus::Confirmed {
        proof.insert("ledger_index", Value::int(99));
    }
    Receipt::new(
        ReceiptFields {
            intent_digest: intent.queue_id(),
            backend: "xrpl".into(),
            attempt,
            status,
            created_at: at.into(),
            evidence_digests: Vec::new(),
            proof,
            error: (status == ReceiptStatus::Failed)
                .then(|| ReceiptFailure { code: "BACKEND_UNAVAILABLE".into(), detail: Some("down".into()) }),
        },
        Validation::Strict,
    )
    .unwrap()
}

struct Dir(std::path::PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("attest-witness-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `check` on a queue over each backend.
fn each_backend(check: impl Fn(&PersistentQueue<Arc<dyn Store>>)) {
    check(&PersistentQueue::new(Arc::new(MemoryStore::new()) as Arc<dyn Store>));
    let dir = Dir::new("each");
    let sqlite = SqliteStore::open_default(dir.0.join("q.sqlite")).unwrap();
    check(&PersistentQueue::new(Arc::new(sqlite) as Arc<dyn Store>));
    let redb = RedbStore::open_default(dir.0.join("q.redb")).unwrap();
    check(&PersistentQueue::new(Arc::new(redb) as Arc<dyn Store>));
}

#[test]
fn enqueue_list_and_next_pending_match_the_memory_queue() {
    each_backend(|q| {
        let (a, b) = (intent(1), intent(2));
        assert_eq!(q.enqueue(&a, "2025-01-15T12:00:00+00:00").unwrap(), a.queue_id());
        assert_eq!(q.enqueue(&a, "2030-01-01T00:00:00+00:00").unwrap(), a.queue_id());
        q.enqueue(&b, "2025-01-15T11:30:00Z").unwrap();
        let mut m = MemoryQueue::new();
        m.enqueue(&a, "2025-01-15T12:00:00+00:00");
        m.enqueue(&b, "2025-01-15T11:30:00Z");
        assert_eq!(q.next_pending(10, Validation::Strict).unwrap(), m.next_pending(10, Validation::Strict));
        assert_eq!(q.status(&a.queue_id()).unwrap(), m.status(&a.queue_id()));
        assert_eq!(q.status("sha256:none").unwrap(), None);
        let all: Vec<String> = q.list(None).unwrap().into_iter().map(|s| s.queue_id).collect();
        assert_eq!(all, [b.queue_id(), a.queue_id()]);
        assert_eq!(q.list(Some("CONFIRMED")).unwrap(), Vec::new());
    });
}

#[test]
fn receipts_update_status_monotonically_in_one_write() {
    each_backend(|q| {
        let a = intent(3);
        let mut m = MemoryQueue::new();
        q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
        m.enqueue(&a, "2025-01-15T12:00:00Z");
        let sequence = [
            receipt(&a, 1, ReceiptStatus::Submitted, "2025-01-15T12:00:01Z"),
            receipt(&a, 1, ReceiptStatus::Deferred, "2025-01-15T12:00:02Z"),
            receipt(&a, 3, ReceiptStatus::Confirmed, "2025-01-15T12:00:03Z"),
            receipt(&a, 1, ReceiptStatus::Deferred, "2025-01-15T12:00:04Z"), // late
            receipt(&a, 4, ReceiptStatus::Failed, "2025-01-15T12:00:05Z"),   // after CONFIRMED
        ];
        for r in &sequence {
            assert_eq!(q.record_receipt(r), m.record_receipt(r));
        }
        assert_eq!(q.record_receipt(&sequence[2]), Ok(false), "duplicate");
        let s = q.status(&a.queue_id()).unwrap().unwrap();
        assert_eq!((s.status.as_str(), s.last_attempt), ("CONFIRMED", 3));
        assert_eq!(Some(s), m.status(&a.queue_id()));
        assert_eq!(q.receipt_rows(&a.queue_id()).unwrap(), m.receipt_rows(&a.queue_id()));
        let orphan = receipt(&intent(4), 1, ReceiptStatus::Failed, "2025-01-15T12:00:00Z");
        assert_eq!(q.record_receipt(&orphan).unwrap_err().code(), "QUEUE_UNKNOWN_INTENT");
    });
}

#[test]
fn narratives_from_the_store_equal_those_from_memory() {
    each_backend(|q| {
        let a = intent(5);
        let mut m = MemoryQueue::new();
        q.enqueue(&a, "2025-01-15T12:00:00+00:00").unwrap();
        m.enqueue(&a, "2025-01-15T12:00:00+00:00");
        for r in [
            receipt(&a, 1, ReceiptStatus::Submitted, "2025-01-15T12:00:01Z"),
            receipt(&a, 1, ReceiptStatus::Confirmed, "2025-01-15T12:00:02Z"),
        ] {
            q.record_receipt(&r).unwrap();
            m.record_receipt(&r).unwrap();
        }
        let opts = NarrativeOptions::default();
        let snap = q.snapshot(&a.queue_id()).unwrap();
        let from_store = show_intent(&snap, &a.queue_id(), None, &opts).unwrap();
        let from_memory = show_intent(&m, &a.queue_id(), None, &opts).unwrap();
        assert_eq!(from_store.to_value(), from_memory.to_value());
        assert!(from_store.witness.is_some());
        let unknown = show_intent(&q.snapshot("sha256:00").unwrap(), "sha256:00", None, &opts).unwrap();
        assert!(!unknown.intent_found);
    });
}

#[test]
fn oversized_memos_are_refused_at_enqueue() {
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
    assert_eq!(q.enqueue(&big, "2025-01-15T12:00:00Z").unwrap_err().code(), "QUEUE_MEMO_TOO_LARGE");
    assert!(q.list(None).unwrap().is_empty());
}

#[test]
fn the_queue_survives_reopening() {
    let dir = Dir::new("reopen");
    let a = intent(6);
    let r = receipt(&a, 1, ReceiptStatus::Submitted, "2025-01-15T12:00:01Z");
    for path in [dir.0.join("q.sqlite"), dir.0.join("q.redb")] {
        let open = |p: &std::path::Path| -> Arc<dyn Store> {
            if p.extension().is_some_and(|e| e == "redb") {
                Arc::new(RedbStore::open_default(p).unwrap())
            } else {
                Arc::new(SqliteStore::open_default(p).unwrap())
            }
        };
        {
            let q = PersistentQueue::new(open(&path));
            q.enqueue(&a, "2025-01-15T12:00:00Z").unwrap();
            q.record_receipt(&r).unwrap();
        }
        let q = PersistentQueue::new(open(&path));
        let s = q.status(&a.queue_id()).unwrap().unwrap();
        assert_eq!((s.status.as_str(), s.last_attempt), ("SUBMITTED", 1));
        assert_eq!(q.receipt_rows(&a.queue_id()).unwrap().len(), 1);
        assert_eq!(q.record_receipt(&r), Ok(false));
    }
}
