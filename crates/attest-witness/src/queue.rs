//! The witness queue model: the intent ledger and the append-only receipt log, their
//! rows (the original's SQLite columns), the [`QueueRead`] view narratives use, and an
//! in-memory queue (spec `attestation.md` §5). Persistence through `attest-store` is a
//! later step; the row shapes are the original's so a file backend can map them 1:1.

use attest_verify::json::{self, Map, Value};
use attest_verify::time::Timestamp;

use crate::error::QueueError;
use crate::intent::Intent;
use crate::pattern::Validation;
use crate::receipt::{Receipt, ReceiptStatus};

/// Status of an intent that has no receipt yet (never a receipt status).
pub const PENDING: &str = "PENDING";

/// A row of the intent ledger (`attestation_intents`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRow {
    /// `sha256:` + intent digest.
    pub queue_id: String,
    /// The same prefixed digest.
    pub intent_digest: String,
    /// Canonical JSON of the intent (byte-identical to the digest pre-image).
    pub intent_json: String,
    /// Enqueue time as given (not validated).
    pub created_at: String,
    /// `PENDING` or the status of the receipt that last updated the row.
    pub status: String,
    /// 0 until a receipt is recorded.
    pub last_attempt: i64,
    /// The last receipt's error code.
    pub last_error_code: Option<String>,
    /// The last receipt's `created_at` (initially the enqueue time).
    pub updated_at: String,
}

impl IntentRow {
    /// The row of `intent` as first enqueued at `created_at`: `PENDING`, no attempt yet.
    pub fn pending(intent: &Intent, created_at: &str) -> IntentRow {
        let queue_id = intent.queue_id();
        IntentRow {
            intent_digest: queue_id.clone(),
            queue_id,
            intent_json: intent.canonical_json(),
            created_at: created_at.to_owned(),
            status: PENDING.to_owned(),
            last_attempt: 0,
            last_error_code: None,
            updated_at: created_at.to_owned(),
        }
    }
}

/// A row of the receipt log (`attestation_receipts`); rows are never updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRow {
    /// The key the row is stored under: the raw-hex receipt digest at recording time.
    pub receipt_digest: String,
    /// Prefixed intent digest.
    pub intent_digest: String,
    /// Attempt number.
    pub attempt: i64,
    /// Receipt time.
    pub created_at: String,
    /// Backend.
    pub backend: String,
    /// Receipt status.
    pub status: String,
    /// Canonical JSON of the receipt.
    pub receipt_json: String,
}

/// `get_status` of the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStatus {
    /// Queue id (= prefixed intent digest).
    pub queue_id: String,
    /// Prefixed intent digest.
    pub intent_digest: String,
    /// Current status.
    pub status: String,
    /// Last attempt number (0 when never processed).
    pub last_attempt: i64,
    /// Enqueue time.
    pub created_at: String,
    /// Last update time.
    pub updated_at: String,
    /// Last error code.
    pub last_error_code: Option<String>,
}

impl QueueStatus {
    /// `{"queue_id", "intent_digest", "status", "last_attempt", "created_at",
    /// "updated_at", "last_error_code"}` (`null` when there is no error code).
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(7);
        m.insert("queue_id", Value::str(self.queue_id.as_str()));
        m.insert("intent_digest", Value::str(self.intent_digest.as_str()));
        m.insert("status", Value::str(self.status.as_str()));
        m.insert("last_attempt", Value::int(self.last_attempt));
        m.insert("created_at", Value::str(self.created_at.as_str()));
        m.insert("updated_at", Value::str(self.updated_at.as_str()));
        m.insert("last_error_code", self.last_error_code.as_deref().map_or(Value::Null, Value::str));
        Value::Object(m)
    }
}

impl From<&IntentRow> for QueueStatus {
    fn from(row: &IntentRow) -> QueueStatus {
        QueueStatus {
            queue_id: row.queue_id.clone(),
            intent_digest: row.intent_digest.clone(),
            status: row.status.clone(),
            last_attempt: row.last_attempt,
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
            last_error_code: row.last_error_code.clone(),
        }
    }
}

/// An intent offered for processing by [`MemoryQueue::next_pending`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedIntent {
    /// Queue id.
    pub queue_id: String,
    /// The intent, parsed back from the ledger.
    pub intent: Intent,
    /// Prefixed intent digest.
    pub intent_digest: String,
    /// `PENDING` or `DEFERRED`.
    pub status: String,
    /// The attempt number the worker must use: `last_attempt + 1`.
    pub next_attempt: i64,
    /// Enqueue time.
    pub created_at: String,
}

/// What a narrative reads from a queue. Implementations never panic.
pub trait QueueRead {
    /// The ledger row of a prefixed intent digest (= queue id).
    fn intent_row(&self, intent_digest: &str) -> Option<IntentRow>;

    /// The receipt rows of a prefixed intent digest, ordered by attempt; rows with the
    /// same attempt keep the order in which they were recorded.
    fn receipt_rows(&self, intent_digest: &str) -> Vec<ReceiptRow>;

    /// `get_status`: the row's status fields, `None` when the queue id is unknown.
    fn status(&self, queue_id: &str) -> Option<QueueStatus> {
        self.intent_row(queue_id).as_ref().map(QueueStatus::from)
    }

    /// The receipts of an intent parsed back (and re-validated in `mode`), in
    /// [`QueueRead::receipt_rows`] order, each with its row.
    fn replay(&self, intent_digest: &str, mode: Validation) -> Result<Vec<(ReceiptRow, Receipt)>, QueueError> {
        self.receipt_rows(intent_digest)
            .into_iter()
            .map(|row| {
                let value = json::parse(&row.receipt_json)
                    .map_err(|_| QueueError::StoredReceiptJson(row.receipt_digest.clone()))?;
                let receipt = Receipt::from_value(&value, mode).map_err(|e| QueueError::StoredReceipt {
                    digest: row.receipt_digest.clone(),
                    source: Box::new(e),
                })?;
                Ok((row, receipt))
            })
            .collect()
    }
}

/// How recording a receipt updates the intent's status row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum StatusUpdate {
    /// Refuse receipts of unknown intents; apply a new receipt only when the intent is
    /// not `CONFIRMED` and the receipt's attempt is not below `last_attempt`; a duplicate
    /// receipt changes nothing. Insert and update are one step.
    #[default]
    Monotone,
    /// The original: store receipts of unknown intents with no status row, and let every
    /// recorded receipt (duplicates included) overwrite status, attempt, time and error
    /// code.
    Reference,
}

/// An in-memory queue with the original's semantics, except where [`StatusUpdate`] and
/// the ordering below say otherwise.
#[derive(Debug, Clone, Default)]
pub struct MemoryQueue {
    intents: Vec<IntentRow>,
    receipts: Vec<ReceiptRow>,
    update: StatusUpdate,
}

impl MemoryQueue {
    /// An empty queue with monotone status updates.
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    /// An empty queue with the original's status updates ([`StatusUpdate::Reference`]).
    pub fn reference() -> MemoryQueue {
        MemoryQueue { update: StatusUpdate::Reference, ..MemoryQueue::default() }
    }

    /// Enqueue `intent` at `created_at` (not validated; the original writes UTC now as
    /// `YYYY-MM-DDTHH:MM:SS+00:00`). Idempotent: an intent already queued keeps its row
    /// and first `created_at`. Returns the queue id.
    pub fn enqueue(&mut self, intent: &Intent, created_at: &str) -> String {
        let queue_id = intent.queue_id();
        if !self.intents.iter().any(|r| r.queue_id == queue_id) {
            self.intents.push(IntentRow::pending(intent, created_at));
        }
        queue_id
    }

    /// Up to `limit` entries whose status is `PENDING` or `DEFERRED`, ordered by
    /// `created_at` then intent digest. With [`StatusUpdate::Monotone`] times are
    /// compared as instants (text only for values that do not parse); the original
    /// compares the text. Stored intents are re-validated in `mode`; a row that no longer
    /// parses is skipped.
    pub fn next_pending(&self, limit: usize, mode: Validation) -> Vec<QueuedIntent> {
        let mut eligible: Vec<&IntentRow> =
            self.intents.iter().filter(|r| r.status == PENDING || r.status == "DEFERRED").collect();
        match self.update {
            StatusUpdate::Reference => {
                eligible.sort_by(|a, b| (&a.created_at, &a.intent_digest).cmp(&(&b.created_at, &b.intent_digest)))
            }
            StatusUpdate::Monotone => eligible.sort_by_cached_key(|r| {
                let instant = Timestamp::parse_isoformat(&r.created_at).ok().and_then(|t| t.unix_micros());
                match instant {
                    Some(us) => (0u8, us, String::new(), r.intent_digest.clone()),
                    None => (1u8, 0, r.created_at.clone(), r.intent_digest.clone()),
                }
            }),
        }
        eligible
            .into_iter()
            .filter_map(|row| {
                let intent = json::parse(&row.intent_json).ok().and_then(|v| Intent::from_value(&v, mode).ok())?;
                Some(QueuedIntent {
                    queue_id: row.queue_id.clone(),
                    intent,
                    intent_digest: row.intent_digest.clone(),
                    status: row.status.clone(),
                    next_attempt: row.last_attempt.saturating_add(1),
                    created_at: row.created_at.clone(),
                })
            })
            .take(limit)
            .collect()
    }

    /// Append `receipt` to the log under its raw-hex digest (a receipt with the same
    /// digest is not stored twice) and update its intent's status row per
    /// [`StatusUpdate`]. Returns whether the receipt was new.
    pub fn record_receipt(&mut self, receipt: &Receipt) -> Result<bool, QueueError> {
        let known = self.intents.iter().any(|r| r.queue_id == receipt.intent_digest());
        if !known && self.update == StatusUpdate::Monotone {
            return Err(QueueError::UnknownIntent(receipt.intent_digest().to_owned()));
        }
        // The digest fails only on non-finite floats, which JSON cannot carry; such a
        // receipt is refused like a receipt that does not read back.
        let stored = |e: attest_verify::canonical::CanonicalError| QueueError::StoredReceiptJson(e.to_string());
        let digest = receipt.digest().map_err(stored)?.to_hex();
        let receipt_json = receipt.canonical_json().map_err(stored)?;
        let inserted = self.insert_receipt_row(ReceiptRow {
            receipt_digest: digest,
            intent_digest: receipt.intent_digest().to_owned(),
            attempt: receipt.attempt(),
            created_at: receipt.created_at().to_owned(),
            backend: receipt.backend().to_owned(),
            status: receipt.status().as_str().to_owned(),
            receipt_json,
        });
        let update = self.update;
        if let Some(row) = self.intents.iter_mut().find(|r| r.queue_id == receipt.intent_digest()) {
            let apply = match update {
                StatusUpdate::Reference => true,
                StatusUpdate::Monotone => {
                    inserted && row.status != ReceiptStatus::Confirmed.as_str() && receipt.attempt() >= row.last_attempt
                }
            };
            if apply {
                row.status = receipt.status().as_str().to_owned();
                row.last_attempt = receipt.attempt();
                row.updated_at = receipt.created_at().to_owned();
                row.last_error_code = receipt.error().map(|e| e.code.clone());
            }
        }
        Ok(inserted)
    }

    /// Append a receipt row as given, without computing its digest; `false` when a row
    /// with that digest exists. Only for modelling a log written by other means (a row
    /// whose content no longer matches its key, as in the vector
    /// `stored_receipt_altered`).
    pub fn insert_receipt_row(&mut self, row: ReceiptRow) -> bool {
        if self.receipts.iter().any(|r| r.receipt_digest == row.receipt_digest) {
            return false;
        }
        self.receipts.push(row);
        true
    }

    /// Overwrite an intent's status fields as the original's storage does; `false` when
    /// the queue id is unknown. Only for modelling a store written by other means.
    pub fn set_status(
        &mut self,
        queue_id: &str,
        status: &str,
        last_attempt: i64,
        updated_at: &str,
        last_error_code: Option<&str>,
    ) -> bool {
        match self.intents.iter_mut().find(|r| r.queue_id == queue_id) {
            Some(row) => {
                row.status = status.to_owned();
                row.last_attempt = last_attempt;
                row.updated_at = updated_at.to_owned();
                row.last_error_code = last_error_code.map(str::to_owned);
                true
            }
            None => false,
        }
    }

    /// Number of queued intents.
    pub fn len(&self) -> usize {
        self.intents.len()
    }

    /// Whether no intent is queued.
    pub fn is_empty(&self) -> bool {
        self.intents.is_empty()
    }
}

impl QueueRead for MemoryQueue {
    fn intent_row(&self, intent_digest: &str) -> Option<IntentRow> {
        self.intents.iter().find(|r| r.intent_digest == intent_digest).cloned()
    }

    fn receipt_rows(&self, intent_digest: &str) -> Vec<ReceiptRow> {
        let mut rows: Vec<ReceiptRow> =
            self.receipts.iter().filter(|r| r.intent_digest == intent_digest).cloned().collect();
        // Stable: ties keep recording order.
        rows.sort_by_key(|r| r.attempt);
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::IntentFields;
    use crate::receipt::{ReceiptFailure, ReceiptFields};

    fn intent(n: u8) -> Intent {
        Intent::new(
            IntentFields {
                subject_type: "s".into(),
                binding_digest: format!("sha256:{}", format!("{n:02x}").repeat(32)),
                ..IntentFields::default()
            },
            Validation::Strict,
        )
        .unwrap()
    }

    fn receipt(intent: &Intent, attempt: i64, status: ReceiptStatus, at: &str) -> Receipt {
        let mut proof = Map::new();
        proof.insert("tx_hash", Value::str("ab"));
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
                    .then(|| ReceiptFailure { code: "REJECTED".into(), detail: None }),
            },
            Validation::Strict,
        )
        .unwrap()
    }

    #[test]
    fn enqueue_is_idempotent_and_ordering_is_by_instant() {
        let mut q = MemoryQueue::new();
        let a = intent(1);
        let b = intent(2);
        assert_eq!(q.enqueue(&a, "2025-01-15T12:00:00+00:00"), a.queue_id());
        q.enqueue(&a, "2030-01-01T00:00:00+00:00");
        q.enqueue(&b, "2025-01-15T11:30:00Z");
        assert_eq!(q.len(), 2);
        let next = q.next_pending(10, Validation::Strict);
        assert_eq!(next.iter().map(|n| n.queue_id.clone()).collect::<Vec<_>>(), [b.queue_id(), a.queue_id()]);
        assert_eq!(q.status(&a.queue_id()).unwrap().created_at, "2025-01-15T12:00:00+00:00");
        // The original compares text: "…12:00:00+00:00" < "…11:30:00Z" is false, but
        // "2025-01-15T11" < "2025-01-15T12" holds, so both agree here.
        let mut r = MemoryQueue::reference();
        r.enqueue(&a, "2025-01-15T12:00:00+00:00");
        r.enqueue(&b, "2025-01-15T11:30:00Z");
        assert_eq!(r.next_pending(1, Validation::Strict).len(), 1);
    }

    #[test]
    fn monotone_and_reference_updates() {
        let a = intent(3);
        let confirmed = receipt(&a, 3, ReceiptStatus::Confirmed, "2025-01-15T12:00:03Z");
        let late = receipt(&a, 1, ReceiptStatus::Deferred, "2025-01-15T12:00:04Z");
        let mut q = MemoryQueue::new();
        q.enqueue(&a, "2025-01-15T12:00:00Z");
        assert_eq!(q.record_receipt(&confirmed), Ok(true));
        assert_eq!(q.record_receipt(&late), Ok(true));
        let s = q.status(&a.queue_id()).unwrap();
        assert_eq!((s.status.as_str(), s.last_attempt), ("CONFIRMED", 3));
        assert_eq!(q.record_receipt(&confirmed), Ok(false));

        let mut r = MemoryQueue::reference();
        r.enqueue(&a, "2025-01-15T12:00:00Z");
        r.record_receipt(&confirmed).unwrap();
        r.record_receipt(&late).unwrap();
        let s = r.status(&a.queue_id()).unwrap();
        assert_eq!((s.status.as_str(), s.last_attempt), ("DEFERRED", 1));

        let orphan = receipt(&intent(4), 1, ReceiptStatus::Failed, "2025-01-15T12:00:00Z");
        assert_eq!(q.record_receipt(&orphan).unwrap_err().code(), "QUEUE_UNKNOWN_INTENT");
        assert_eq!(r.record_receipt(&orphan), Ok(true));
    }

    #[test]
    fn replay_orders_by_attempt_then_recording() {
        let a = intent(5);
        let mut q = MemoryQueue::new();
        q.enqueue(&a, "2025-01-15T12:00:00Z");
        q.record_receipt(&receipt(&a, 2, ReceiptStatus::Submitted, "2025-01-15T12:00:05Z")).unwrap();
        q.record_receipt(&receipt(&a, 1, ReceiptStatus::Submitted, "2025-01-15T12:00:01Z")).unwrap();
        q.record_receipt(&receipt(&a, 1, ReceiptStatus::Deferred, "2025-01-15T12:00:02Z")).unwrap();
        let replay = q.replay(&a.queue_id(), Validation::Strict).unwrap();
        let got: Vec<(i64, &str)> = replay.iter().map(|(_, r)| (r.attempt(), r.created_at())).collect();
        assert_eq!(got, [(1, "2025-01-15T12:00:01Z"), (1, "2025-01-15T12:00:02Z"), (2, "2025-01-15T12:00:05Z")]);
    }
}
