//! The witness queue persisted through any [`attest_store::Store`]: one versioned record
//! per intent (the ledger row plus the worker's private scheduling state) and the
//! record's append-only log as the receipt log (spec `attestation.md` §5).
//!
//! INVARIANT (one write per change): recording a receipt appends it to the log and
//! applies its status update in one compare-and-set write of the intent's record, so a
//! crash never separates the two (reference gap §5.1) and two writers never both apply
//! an update computed from the same version.

use attest_store::{Record, RecordWrite, Store, StoreError};
use attest_verify::canonical;
use attest_verify::json::{self, Map, Value};
use attest_verify::time::Timestamp;

use crate::error::QueueError;
use crate::intent::Intent;
use crate::pattern::Validation;
use crate::queue::{IntentRow, QueueRead, QueueStatus, QueuedIntent, ReceiptRow, PENDING};
use crate::receipt::{Receipt, ReceiptStatus};
use crate::xrpl::{memo_payload, MAX_MEMO_BYTES};

/// The record namespace of the intent ledger.
pub const INTENT_NAMESPACE: &str = "attest.witness.intents";

/// How many times a write is retried after losing a compare-and-set race.
const MAX_RETRIES: usize = 16;

/// The worker's private scheduling state of an intent. Never part of `get_status` or a
/// narrative, so the five public status strings are all callers see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerState {
    /// Not eligible again before this instant (µs since the epoch): the backoff.
    pub retry_at: Option<i64>,
    /// Consecutive cycles that ended without a final result (drives the backoff).
    pub failures: u32,
    /// Confirm polls of the current transaction.
    pub polls: u32,
    /// The transaction in flight: submitted (or possibly submitted) and not known to be
    /// final. While set, cycles poll it instead of building a new one.
    pub tx_hash: Option<String>,
    /// The memo digest of the transaction in flight.
    pub memo_digest: Option<String>,
    /// When the intent last became `SUBMITTED` (µs since the epoch).
    pub submitted_at: Option<i64>,
    /// A worker holds the entry until this instant (µs): the lease.
    pub claimed_until: Option<i64>,
}

impl WorkerState {
    fn to_value(&self) -> Value {
        let int = |v: Option<i64>| v.map_or(Value::Null, Value::int);
        let text = |v: &Option<String>| v.as_deref().map_or(Value::Null, Value::str);
        let mut m = Map::with_capacity(7);
        m.insert("retry_at", int(self.retry_at));
        m.insert("failures", Value::int(i64::from(self.failures)));
        m.insert("polls", Value::int(i64::from(self.polls)));
        m.insert("tx_hash", text(&self.tx_hash));
        m.insert("memo_digest", text(&self.memo_digest));
        m.insert("submitted_at", int(self.submitted_at));
        m.insert("claimed_until", int(self.claimed_until));
        Value::Object(m)
    }

    /// Lenient: a missing or malformed member reads as its default (a record written
    /// without worker state is a fresh entry).
    fn from_value(v: Option<&Value>) -> WorkerState {
        let Some(v) = v else { return WorkerState::default() };
        let int = |k: &str| v.get(k).and_then(Value::as_i64);
        let count = |k: &str| int(k).and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        WorkerState {
            retry_at: int("retry_at"),
            failures: count("failures"),
            polls: count("polls"),
            tx_hash: text("tx_hash"),
            memo_digest: text("memo_digest"),
            submitted_at: int("submitted_at"),
            claimed_until: int("claimed_until"),
        }
    }
}

/// One queue entry as stored: the ledger row, the worker state and the record version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// The ledger row (the original's columns).
    pub row: IntentRow,
    /// The worker's scheduling state.
    pub worker: WorkerState,
    /// The record version (for compare-and-set writes).
    pub version: u64,
}

/// The witness queue in a [`Store`]: the operations and states of
/// [`crate::MemoryQueue`] with monotone status updates ([`crate::StatusUpdate::Monotone`]),
/// durable and safe to share between workers (every write is a compare-and-set).
#[derive(Debug, Clone)]
pub struct PersistentQueue<S> {
    store: S,
}

impl<S: Store> PersistentQueue<S> {
    /// A queue over `store` (records under [`INTENT_NAMESPACE`]).
    pub fn new(store: S) -> PersistentQueue<S> {
        PersistentQueue { store }
    }

    /// The underlying store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Enqueue `intent` at `created_at` (not validated). Idempotent: an intent already
    /// queued keeps its row and first `created_at`. Returns the queue id.
    ///
    /// Errors: [`QueueError::MemoTooLarge`] for an intent whose memo exceeds 700 bytes
    /// (reference gap §6: it could never be planned); store errors.
    pub fn enqueue(&self, intent: &Intent, created_at: &str) -> Result<String, QueueError> {
        // Only strings: the canonical writer cannot fail.
        let memo = canonical::to_bytes(&memo_payload(intent)).unwrap_or_default().len();
        if memo > MAX_MEMO_BYTES {
            return Err(QueueError::MemoTooLarge(memo));
        }
        let row = IntentRow::pending(intent, created_at);
        let queue_id = row.queue_id.clone();
        let value = entry_value(&row, &WorkerState::default());
        match self.store.put_record(
            INTENT_NAMESPACE,
            &queue_id,
            RecordWrite { value: &value, expected_version: Some(0), log: &[] },
        ) {
            Ok(_) | Err(StoreError::RecordConflict { .. }) => Ok(queue_id),
            Err(e) => Err(e.into()),
        }
    }

    /// The entry of a queue id, `None` when unknown.
    pub fn entry(&self, queue_id: &str) -> Result<Option<QueueEntry>, QueueError> {
        self.store.record(INTENT_NAMESPACE, queue_id)?.map(|r| entry_from(&r)).transpose()
    }

    /// `get_status`: `None` when the queue id is unknown.
    pub fn status(&self, queue_id: &str) -> Result<Option<QueueStatus>, QueueError> {
        Ok(self.entry(queue_id)?.map(|e| QueueStatus::from(&e.row)))
    }

    /// Every entry, ordered as [`PersistentQueue::next_pending`] orders (enqueue
    /// instant, then intent digest; unparsable times last, by text).
    pub fn entries(&self) -> Result<Vec<QueueEntry>, QueueError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.records(INTENT_NAMESPACE, after.as_deref(), 1000)?;
            let Some(last) = page.last() else { break };
            after = Some(last.key.clone());
            for r in &page {
                out.push(entry_from(r)?);
            }
        }
        out.sort_by_cached_key(|e| order(&e.row));
        Ok(out)
    }

    /// The status of every entry, optionally only those with status `status`, in
    /// [`PersistentQueue::entries`] order.
    pub fn list(&self, status: Option<&str>) -> Result<Vec<QueueStatus>, QueueError> {
        Ok(self
            .entries()?
            .iter()
            .filter(|e| status.is_none_or(|s| e.row.status == s))
            .map(|e| QueueStatus::from(&e.row))
            .collect())
    }

    /// Up to `limit` entries whose status is `PENDING` or `DEFERRED` (the original's
    /// "next pending", ignoring the worker's backoff and lease). A stored intent that no
    /// longer parses in `mode` is skipped.
    pub fn next_pending(&self, limit: usize, mode: Validation) -> Result<Vec<QueuedIntent>, QueueError> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| e.row.status == PENDING || e.row.status == ReceiptStatus::Deferred.as_str())
            .filter_map(|e| queued(&e.row, mode))
            .take(limit)
            .collect())
    }

    /// The receipt rows of a prefixed intent digest, ordered by attempt; rows with the
    /// same attempt keep recording order.
    pub fn receipt_rows(&self, intent_digest: &str) -> Result<Vec<ReceiptRow>, QueueError> {
        let mut rows = self
            .store
            .record_log(INTENT_NAMESPACE, intent_digest)?
            .iter()
            .map(receipt_row_from)
            .collect::<Result<Vec<_>, _>>()?;
        rows.sort_by_key(|r| r.attempt); // stable
        Ok(rows)
    }

    /// Everything a narrative reads about one intent, read once (the row, then the log).
    pub fn snapshot(&self, intent_digest: &str) -> Result<QueueSnapshot, QueueError> {
        let row = self.entry(intent_digest)?.map(|e| e.row);
        let receipts = self.receipt_rows(intent_digest)?;
        Ok(QueueSnapshot { row, receipts })
    }

    /// Append `receipt` to its intent's log (a receipt with the same digest is not
    /// stored twice) and update the status row monotonically: a new receipt applies
    /// only when the intent is not `CONFIRMED` and its attempt is not below
    /// `last_attempt`; a duplicate changes nothing. One atomic write (see INVARIANT (one
    /// write per change)). Returns whether the receipt was new.
    ///
    /// Errors: [`QueueError::UnknownIntent`] for a receipt of an intent never enqueued.
    pub fn record_receipt(&self, receipt: &Receipt) -> Result<bool, QueueError> {
        let id = receipt.intent_digest();
        for _ in 0..MAX_RETRIES {
            let Some(entry) = self.entry(id)? else {
                return Err(QueueError::UnknownIntent(id.to_owned()));
            };
            match self.commit(&entry, Some(receipt), &entry.worker) {
                Ok(Some(_)) => return Ok(true),
                Ok(None) => return Ok(false),
                Err(QueueError::Store(StoreError::RecordConflict { .. })) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(QueueError::Contended(id.to_owned()))
    }

    /// Write `entry` back with `worker` as its state and, when given and new, `receipt`
    /// appended and applied; only if the stored version is still `entry.version`.
    /// Returns the new version, or `None` when the receipt was a duplicate (then nothing
    /// is written). A lost race is [`StoreError::RecordConflict`] inside
    /// [`QueueError::Store`].
    pub(crate) fn commit(
        &self,
        entry: &QueueEntry,
        receipt: Option<&Receipt>,
        worker: &WorkerState,
    ) -> Result<Option<u64>, QueueError> {
        let mut row = entry.row.clone();
        let mut log = Vec::new();
        if let Some(receipt) = receipt {
            let stored = |e: canonical::CanonicalError| QueueError::StoredReceiptJson(e.to_string());
            let digest = receipt.digest().map_err(stored)?.to_hex();
            let existing = self.store.record_log(INTENT_NAMESPACE, &row.queue_id)?;
            if existing.iter().any(|v| v.get("receipt_digest").and_then(Value::as_str) == Some(digest.as_str())) {
                return Ok(None);
            }
            let receipt_row = ReceiptRow {
                receipt_digest: digest,
                intent_digest: receipt.intent_digest().to_owned(),
                attempt: receipt.attempt(),
                created_at: receipt.created_at().to_owned(),
                backend: receipt.backend().to_owned(),
                status: receipt.status().as_str().to_owned(),
                receipt_json: receipt.canonical_json().map_err(stored)?,
            };
            log.push(receipt_row_value(&receipt_row));
            if row.status != ReceiptStatus::Confirmed.as_str() && receipt.attempt() >= row.last_attempt {
                row.status = receipt.status().as_str().to_owned();
                row.last_attempt = receipt.attempt();
                row.updated_at = receipt.created_at().to_owned();
                row.last_error_code = receipt.error().map(|e| e.code.clone());
            }
        }
        let value = entry_value(&row, worker);
        let version = self.store.put_record(
            INTENT_NAMESPACE,
            &row.queue_id,
            RecordWrite { value: &value, expected_version: Some(entry.version), log: &log },
        )?;
        Ok(Some(version))
    }
}

/// One intent's row and receipts as read by [`PersistentQueue::snapshot`]; the
/// [`QueueRead`] a narrative is built from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueSnapshot {
    row: Option<IntentRow>,
    receipts: Vec<ReceiptRow>,
}

impl QueueRead for QueueSnapshot {
    fn intent_row(&self, intent_digest: &str) -> Option<IntentRow> {
        self.row.as_ref().filter(|r| r.intent_digest == intent_digest).cloned()
    }

    fn receipt_rows(&self, intent_digest: &str) -> Vec<ReceiptRow> {
        self.receipts.iter().filter(|r| r.intent_digest == intent_digest).cloned().collect()
    }
}

/// The sort key of an entry: the parsed enqueue instant, then the digest; text that
/// does not parse sorts last, by text.
fn order(row: &IntentRow) -> (u8, i64, String, String) {
    match instant(&row.created_at) {
        Some(us) => (0, us, String::new(), row.intent_digest.clone()),
        None => (1, 0, row.created_at.clone(), row.intent_digest.clone()),
    }
}

/// Microseconds since the epoch of an aware isoformat time.
pub(crate) fn instant(text: &str) -> Option<i64> {
    Timestamp::parse_isoformat(text).ok().and_then(|t| t.unix_micros())
}

pub(crate) fn queued(row: &IntentRow, mode: Validation) -> Option<QueuedIntent> {
    let intent = json::parse(&row.intent_json).ok().and_then(|v| Intent::from_value(&v, mode).ok())?;
    Some(QueuedIntent {
        queue_id: row.queue_id.clone(),
        intent,
        intent_digest: row.intent_digest.clone(),
        status: row.status.clone(),
        next_attempt: row.last_attempt.saturating_add(1),
        created_at: row.created_at.clone(),
    })
}

fn entry_value(row: &IntentRow, worker: &WorkerState) -> Value {
    let mut m = Map::with_capacity(9);
    m.insert("queue_id", Value::str(row.queue_id.as_str()));
    m.insert("intent_digest", Value::str(row.intent_digest.as_str()));
    m.insert("intent_json", Value::str(row.intent_json.as_str()));
    m.insert("created_at", Value::str(row.created_at.as_str()));
    m.insert("status", Value::str(row.status.as_str()));
    m.insert("last_attempt", Value::int(row.last_attempt));
    m.insert("last_error_code", row.last_error_code.as_deref().map_or(Value::Null, Value::str));
    m.insert("updated_at", Value::str(row.updated_at.as_str()));
    m.insert("worker", worker.to_value());
    Value::Object(m)
}

fn entry_from(record: &Record) -> Result<QueueEntry, QueueError> {
    let v = &record.value;
    let bad = || QueueError::StoredIntent(record.key.clone());
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned).ok_or_else(bad);
    let row = IntentRow {
        queue_id: text("queue_id")?,
        intent_digest: text("intent_digest")?,
        intent_json: text("intent_json")?,
        created_at: text("created_at")?,
        status: text("status")?,
        last_attempt: v.get("last_attempt").and_then(Value::as_i64).ok_or_else(bad)?,
        last_error_code: v.get("last_error_code").and_then(Value::as_str).map(str::to_owned),
        updated_at: text("updated_at")?,
    };
    if row.queue_id != record.key {
        return Err(bad());
    }
    Ok(QueueEntry { row, worker: WorkerState::from_value(v.get("worker")), version: record.version })
}

fn receipt_row_value(r: &ReceiptRow) -> Value {
    let mut m = Map::with_capacity(7);
    m.insert("receipt_digest", Value::str(r.receipt_digest.as_str()));
    m.insert("intent_digest", Value::str(r.intent_digest.as_str()));
    m.insert("attempt", Value::int(r.attempt));
    m.insert("created_at", Value::str(r.created_at.as_str()));
    m.insert("backend", Value::str(r.backend.as_str()));
    m.insert("status", Value::str(r.status.as_str()));
    m.insert("receipt_json", Value::str(r.receipt_json.as_str()));
    Value::Object(m)
}

fn receipt_row_from(v: &Value) -> Result<ReceiptRow, QueueError> {
    let digest = v.get("receipt_digest").and_then(Value::as_str).unwrap_or_default().to_owned();
    let bad = || QueueError::StoredReceiptJson(digest.clone());
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned).ok_or_else(bad);
    Ok(ReceiptRow {
        receipt_digest: text("receipt_digest")?,
        intent_digest: text("intent_digest")?,
        attempt: v.get("attempt").and_then(Value::as_i64).ok_or_else(bad)?,
        created_at: text("created_at")?,
        backend: text("backend")?,
        status: text("status")?,
        receipt_json: text("receipt_json")?,
    })
}

#[cfg(test)]
mod tests;
