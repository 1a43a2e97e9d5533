//! The worker: one cycle per call over a [`PersistentQueue`] (spec `attestation.md` §6),
//! with the reference gaps closed: a transaction in flight is re-polled, never
//! re-submitted; `SUBMITTED` entries older than a deadline are re-checked; a planning
//! error fails that intent alone with a receipt; transient outcomes back off
//! exponentially up to a cap; a lease keeps two workers off one entry.

use attest_store::{Store, StoreError};
use attest_verify::json::{Map, Value};
use attest_verify::time::Timestamp;

use crate::error::{Error, QueueError};
use crate::intent::Intent;
use crate::pattern::Validation;
use crate::persistent::{instant, queued, PersistentQueue, QueueEntry, WorkerState};
use crate::queue::{QueueRead, PENDING};
use crate::receipt::{FailureCode, Receipt, ReceiptFailure, ReceiptFields, ReceiptStatus};
use crate::xrpl::{
    confirm, plan, submit, SignedTx, SubmitResult, TransportError, TxStatus, XrplClient, XrplSigner, XRPL_BACKEND,
};

/// The engine result of a transaction that can no longer be included in a ledger.
const EXPIRED: &str = "tefMAX_LEDGER";

/// The worker's timing and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// The sending account; `None`: the signer's.
    pub account: Option<String>,
    /// First backoff delay, in seconds; doubled per consecutive unfinished cycle.
    pub backoff_base_secs: i64,
    /// The backoff never exceeds this many seconds.
    pub backoff_cap_secs: i64,
    /// A `SUBMITTED` entry this many seconds old is re-checked (never re-submitted).
    pub submitted_timeout_secs: i64,
    /// Confirm polls of one transaction before the intent fails with `TIMEOUT`.
    pub max_confirm_polls: u32,
    /// How long a cycle holds its entry (a crashed worker's entry frees up after it).
    pub lease_secs: i64,
    /// How stored intents are re-validated.
    pub mode: Validation,
}

impl Default for WorkerConfig {
    /// 5 s backoff doubling up to 300 s, 120 s submitted deadline, 20 polls, 60 s lease,
    /// strict validation, the signer's account.
    fn default() -> WorkerConfig {
        WorkerConfig {
            account: None,
            backoff_base_secs: 5,
            backoff_cap_secs: 300,
            submitted_timeout_secs: 120,
            max_confirm_polls: 20,
            lease_secs: 60,
            mode: Validation::Strict,
        }
    }
}

/// The result of one cycle: the original's `{processed, queue_id, intent_digest,
/// receipts}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleOutcome {
    /// Whether an entry was processed.
    pub processed: bool,
    /// Its queue id.
    pub queue_id: Option<String>,
    /// Its prefixed intent digest.
    pub intent_digest: Option<String>,
    /// The receipts recorded, in order.
    pub receipts: Vec<Receipt>,
}

impl CycleOutcome {
    fn idle() -> CycleOutcome {
        CycleOutcome { processed: false, queue_id: None, intent_digest: None, receipts: Vec::new() }
    }

    /// `{"processed", "queue_id", "intent_digest", "receipts": [receipt dicts]}`.
    pub fn to_value(&self) -> Value {
        let text = |v: &Option<String>| v.as_deref().map_or(Value::Null, Value::str);
        let mut m = Map::with_capacity(4);
        m.insert("processed", Value::Bool(self.processed));
        m.insert("queue_id", text(&self.queue_id));
        m.insert("intent_digest", text(&self.intent_digest));
        m.insert("receipts", Value::Array(self.receipts.iter().map(Receipt::to_value).collect()));
        Value::Object(m)
    }
}

/// What a due entry needs this cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Plan, sign, submit, then confirm.
    Submit,
    /// Poll the transaction in flight.
    Poll,
}

/// The worker: borrows a queue, a client and a signer; [`Worker::run_once`] is one
/// cycle and the caller owns the loop (and the clock).
pub struct Worker<'a, S> {
    queue: &'a PersistentQueue<S>,
    client: &'a mut dyn XrplClient,
    signer: &'a dyn XrplSigner,
    config: WorkerConfig,
}

impl<S> std::fmt::Debug for Worker<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("config", &self.config).finish_non_exhaustive()
    }
}

impl<'a, S: Store> Worker<'a, S> {
    /// A worker over `queue`, submitting through `client` and signing with `signer`.
    pub fn new(
        queue: &'a PersistentQueue<S>,
        client: &'a mut dyn XrplClient,
        signer: &'a dyn XrplSigner,
        config: WorkerConfig,
    ) -> Worker<'a, S> {
        Worker { queue, client, signer, config }
    }

    /// One cycle at `now_micros` (µs since the epoch; receipts are stamped with its
    /// isoformat, `+00:00`). Picks the first due entry in queue order:
    ///
    /// - `PENDING`/`DEFERRED` whose backoff has elapsed: poll the transaction in flight
    ///   if there is one, else plan, sign, submit and confirm (a planning error records a
    ///   `FAILED`/`REJECTED` receipt, detail `plan failed: ...`, for that intent alone);
    /// - `SUBMITTED` older than the deadline: poll (never re-submit);
    /// - `FAILED` with a transaction possibly in flight (a lost submit or poll answer):
    ///   poll, up to [`WorkerConfig::max_confirm_polls`].
    ///
    /// A transaction is replaced by a new one only once the node reports it expired
    /// (`tefMAX_LEDGER`); polls that stay inconclusive back off and finally fail the
    /// intent with `TIMEOUT`. Entries leased by another worker are skipped.
    ///
    /// Errors: store failures (the lease then expires and another cycle resumes).
    pub fn run_once(&mut self, now_micros: i64) -> Result<CycleOutcome, Error> {
        for entry in self.queue.entries()? {
            let Some(step) = self.due(&entry, now_micros) else { continue };
            // Claim: a compare-and-set write of the lease; losing it means another
            // worker took the entry.
            let mut worker = entry.worker.clone();
            worker.claimed_until = Some(now_micros.saturating_add(secs(self.config.lease_secs)));
            let version = match self.queue.commit(&entry, None, &worker) {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                Err(QueueError::Store(StoreError::RecordConflict { .. })) => continue,
                Err(e) => return Err(e.into()),
            };
            let entry = QueueEntry { version, worker, ..entry };
            let mut cycle = Cycle { entry, receipts: Vec::new(), now: now_micros };
            match step {
                Step::Poll => {
                    let attempt = cycle.entry.row.last_attempt.saturating_add(1);
                    self.poll(&mut cycle, attempt)?
                }
                Step::Submit => self.submit(&mut cycle)?,
            }
            return Ok(CycleOutcome {
                processed: true,
                queue_id: Some(cycle.entry.row.queue_id.clone()),
                intent_digest: Some(cycle.entry.row.intent_digest.clone()),
                receipts: cycle.receipts,
            });
        }
        Ok(CycleOutcome::idle())
    }

    fn due(&self, entry: &QueueEntry, now: i64) -> Option<Step> {
        let w = &entry.worker;
        if w.claimed_until.is_some_and(|t| t > now) {
            return None;
        }
        let backoff_over = w.retry_at.is_none_or(|t| t <= now);
        let status = entry.row.status.as_str();
        let in_flight = w.tx_hash.is_some();
        if status == PENDING || status == ReceiptStatus::Deferred.as_str() {
            return backoff_over.then_some(if in_flight { Step::Poll } else { Step::Submit });
        }
        if status == ReceiptStatus::Submitted.as_str() {
            let since = w.submitted_at.or_else(|| instant(&entry.row.updated_at)).unwrap_or(i64::MIN);
            let stale = since.saturating_add(secs(self.config.submitted_timeout_secs)) <= now;
            return (stale && backoff_over).then_some(Step::Poll);
        }
        if status == ReceiptStatus::Failed.as_str() && in_flight {
            return (backoff_over && w.polls < self.config.max_confirm_polls).then_some(Step::Poll);
        }
        None
    }

    /// Plan, sign, record the transaction as in flight, submit, then confirm.
    fn submit(&mut self, cycle: &mut Cycle) -> Result<(), Error> {
        let attempt = cycle.entry.row.last_attempt.saturating_add(1);
        let created_at = cycle.created_at();
        let intent_digest = cycle.entry.row.intent_digest.clone();
        let account = self.config.account.clone().unwrap_or_else(|| self.signer.account().to_owned());
        let planned = match queued(&cycle.entry.row, self.config.mode) {
            Some(q) => plan(&q.intent, &account, "1").map_err(|e| e.to_string()),
            None => Err(stored_intent_error(&cycle.entry.row.intent_json, self.config.mode)),
        };
        let anchor = match planned {
            Ok(p) => p,
            Err(message) => {
                let receipt = failed(
                    &intent_digest,
                    attempt,
                    &created_at,
                    FailureCode::Rejected,
                    format!("plan failed: {message}"),
                )?;
                let mut w = cycle.entry.worker.clone();
                w.claimed_until = None;
                w.tx_hash = None;
                return cycle.record(self.queue, Some(receipt), w);
            }
        };
        let signed = self.signer.sign(&anchor.tx);
        if let Ok(s) = &signed {
            // Before the node sees it: from now on this transaction is polled, never
            // replaced, even if the process stops right after submitting.
            let mut w = cycle.entry.worker.clone();
            w.tx_hash = Some(s.tx_hash.clone());
            w.memo_digest = Some(anchor.memo_digest.clone());
            w.polls = 0;
            cycle.record(self.queue, None, w)?;
        }
        let presigned = Presigned { inner: self.signer, signed };
        let (receipt, unanswered) = match submit(&anchor, self.client, &presigned, attempt, &created_at) {
            Ok(r) => {
                let unanswered = r.error().is_some_and(|e| e.code == FailureCode::BackendUnavailable.as_str());
                (r, unanswered)
            }
            Err(e) => {
                let detail = format!("submit step failed: {e}");
                (failed(&intent_digest, attempt, &created_at, FailureCode::Unknown, detail)?, true)
            }
        };
        let mut w = cycle.entry.worker.clone();
        match receipt.status() {
            ReceiptStatus::Submitted => {
                if let Some(h) = receipt.proof().get("tx_hash").and_then(Value::as_str) {
                    w.tx_hash = Some(h.to_owned());
                }
                w.submitted_at = Some(cycle.now);
                cycle.record(self.queue, Some(receipt), w)?;
                self.poll(cycle, attempt)
            }
            _ => {
                if unanswered && w.tx_hash.is_some() {
                    // No answer (or no usable one): the node may have the transaction.
                    self.back_off(&mut w, cycle.now);
                } else {
                    w.tx_hash = None;
                }
                w.claimed_until = None;
                cycle.record(self.queue, Some(receipt), w)
            }
        }
    }

    /// Look the transaction in flight up once and record the outcome.
    /// A poll cycle uses its own attempt number; the confirm right after a submit uses
    /// the submit's (one number per cycle).
    fn poll(&mut self, cycle: &mut Cycle, attempt: i64) -> Result<(), Error> {
        let created_at = cycle.created_at();
        let intent_digest = cycle.entry.row.intent_digest.clone();
        let mut w = cycle.entry.worker.clone();
        w.claimed_until = None;
        if w.tx_hash.is_none() {
            // Written by other means (or before worker state existed): the hash of the
            // latest SUBMITTED receipt.
            w.tx_hash = self.submitted_hash(&intent_digest)?;
        }
        let Some(tx_hash) = w.tx_hash.clone() else {
            // SUBMITTED with no known transaction (written by other means): nothing to
            // poll; fail it rather than leave it stuck.
            let receipt = failed(
                &intent_digest,
                attempt,
                &created_at,
                FailureCode::Unknown,
                "no transaction hash to confirm".to_owned(),
            )?;
            return cycle.record(self.queue, Some(receipt), w);
        };
        let memo_digest = w.memo_digest.clone().unwrap_or_else(|| memo_digest_of(&cycle.entry, self.config.mode));
        let mut recording = Recording { inner: self.client, last: None };
        let receipt = confirm(&intent_digest, &tx_hash, &mut recording, attempt, &memo_digest, &created_at)?;
        let expired = recording.last.as_ref().is_some_and(|t| t.engine_result.as_deref() == Some(EXPIRED));
        match receipt.status() {
            ReceiptStatus::Confirmed => {
                w.tx_hash = None;
                w.retry_at = None;
                cycle.record(self.queue, Some(receipt), w)
            }
            _ if expired => {
                // Provably never included: the next cycle builds a new transaction.
                w.tx_hash = None;
                w.polls = 0;
                self.back_off(&mut w, cycle.now);
                cycle.record(self.queue, Some(receipt), w)
            }
            _ => {
                w.polls = w.polls.saturating_add(1);
                if w.polls >= self.config.max_confirm_polls {
                    cycle.record(self.queue, Some(receipt), w.clone())?;
                    let detail = format!("transaction {tx_hash} not final after {} polls", w.polls);
                    let timeout = failed(&intent_digest, attempt, &created_at, FailureCode::Timeout, detail)?;
                    w.tx_hash = None;
                    return cycle.record(self.queue, Some(timeout), w);
                }
                self.back_off(&mut w, cycle.now);
                cycle.record(self.queue, Some(receipt), w)
            }
        }
    }

    fn submitted_hash(&self, intent_digest: &str) -> Result<Option<String>, Error> {
        let replay = self.queue.snapshot(intent_digest)?.replay(intent_digest, self.config.mode)?;
        Ok(replay
            .iter()
            .rev()
            .filter(|(_, r)| r.status() == ReceiptStatus::Submitted)
            .find_map(|(_, r)| r.proof().get("tx_hash").and_then(Value::as_str).map(str::to_owned)))
    }

    fn back_off(&self, w: &mut WorkerState, now: i64) {
        w.failures = w.failures.saturating_add(1);
        w.retry_at = Some(now.saturating_add(backoff_micros(&self.config, w.failures)));
    }
}

/// The delay after `failures` consecutive unfinished cycles: `base * 2^(failures-1)`
/// seconds, at most the cap, in microseconds.
pub fn backoff_micros(config: &WorkerConfig, failures: u32) -> i64 {
    let base = config.backoff_base_secs.max(0);
    let cap = config.backoff_cap_secs.max(0);
    let shift = failures.saturating_sub(1).min(62);
    let delay = base.checked_mul(1i64 << shift).unwrap_or(i64::MAX).min(cap);
    secs(delay)
}

fn secs(s: i64) -> i64 {
    s.saturating_mul(1_000_000)
}

/// The state of one cycle: the claimed entry (kept at its latest version) and the
/// receipts written so far.
struct Cycle {
    entry: QueueEntry,
    receipts: Vec<Receipt>,
    now: i64,
}

impl Cycle {
    fn created_at(&self) -> String {
        Timestamp::from_unix_micros_saturating(self.now).isoformat()
    }

    /// Write the entry with `worker` and `receipt` (see INVARIANT (one write per
    /// change) in `persistent.rs`) and keep the result as the entry.
    fn record<S: Store>(
        &mut self,
        queue: &PersistentQueue<S>,
        receipt: Option<Receipt>,
        worker: WorkerState,
    ) -> Result<(), Error> {
        let written = queue.commit(&self.entry, receipt.as_ref(), &worker)?;
        let Some(fresh) = queue.entry(&self.entry.row.queue_id)? else {
            return Err(QueueError::UnknownIntent(self.entry.row.queue_id.clone()).into());
        };
        self.entry = fresh;
        if written.is_some() {
            self.receipts.extend(receipt);
        }
        Ok(())
    }
}

fn failed(
    intent_digest: &str,
    attempt: i64,
    created_at: &str,
    code: FailureCode,
    detail: String,
) -> Result<Receipt, Error> {
    Ok(Receipt::new(
        ReceiptFields {
            intent_digest: intent_digest.to_owned(),
            backend: XRPL_BACKEND.to_owned(),
            attempt,
            status: ReceiptStatus::Failed,
            created_at: created_at.to_owned(),
            evidence_digests: Vec::new(),
            proof: Map::new(),
            error: Some(ReceiptFailure { code: code.as_str().to_owned(), detail: Some(detail) }),
        },
        Validation::Strict,
    )?)
}

fn stored_intent_error(intent_json: &str, mode: Validation) -> String {
    match attest_verify::json::parse(intent_json) {
        Ok(v) => match Intent::from_value(&v, mode) {
            Ok(_) => "stored intent is invalid".to_owned(),
            Err(e) => e.to_string(),
        },
        Err(e) => format!("stored intent is not JSON: {e}"),
    }
}

/// The memo digest of an entry's intent (for polling a transaction whose memo digest
/// was not recorded, e.g. written by other means).
fn memo_digest_of(entry: &QueueEntry, mode: Validation) -> String {
    queued(&entry.row, mode)
        .and_then(|q| plan(&q.intent, "r", "1").ok())
        .map(|p| p.memo_digest)
        .unwrap_or_else(|| format!("sha256:{}", "0".repeat(64)))
}

/// A signer that answers with a signature made earlier (so the transaction could be
/// recorded as in flight before it was submitted).
struct Presigned<'s> {
    inner: &'s dyn XrplSigner,
    signed: Result<SignedTx, String>,
}

impl XrplSigner for Presigned<'_> {
    fn account(&self) -> &str {
        self.inner.account()
    }
    fn key_id(&self) -> &str {
        self.inner.key_id()
    }
    fn sign(&self, _tx: &Value) -> Result<SignedTx, String> {
        self.signed.clone()
    }
}

/// A client that keeps the last lookup answer (to see an expired transaction).
struct Recording<'c> {
    inner: &'c mut dyn XrplClient,
    last: Option<TxStatus>,
}

impl XrplClient for Recording<'_> {
    fn submit(&mut self, signed_tx_blob_hex: &str) -> Result<SubmitResult, TransportError> {
        self.inner.submit(signed_tx_blob_hex)
    }
    fn get_tx(&mut self, tx_hash: &str) -> Result<TxStatus, TransportError> {
        let r = self.inner.get_tx(tx_hash);
        self.last = r.as_ref().ok().cloned();
        r
    }
}

#[cfg(test)]
mod tests;
