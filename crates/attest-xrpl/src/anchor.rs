//! The whole witness: a signer over a [`Keypair`] that implements the witness model's
//! `XrplSigner`, autofill, and the anchor flow (sign once, submit with retries that can
//! never anchor twice, poll until validated or past `LastLedgerSequence`, and confirm
//! only a validated `tesSUCCESS` carrying our memo). Receipts come from
//! `attest_witness::{submit, confirm}`, exactly as the original writes them.

use std::thread::sleep;
use std::time::Duration;

use attest_verify::json::Value;
use attest_witness::{
    AnchorPlan, FailureCode, Receipt, ReceiptFailure, ReceiptStatus, SignedTx, Validation, XrplClient, XrplSigner,
};

use crate::error::Error;
use crate::keys::Keypair;
use crate::rpc::{tx_fields, JsonRpcClient};
use crate::tx::{complete, memo_matches, sign, witness_json, SignedTransaction, TxParams, WitnessKind};

/// Ledgers added to the latest validated index for `LastLedgerSequence`.
pub const LAST_LEDGER_OFFSET: u32 = 20;

/// A signer holding a key pair and the ledger fields it fills in.
#[derive(Debug)]
pub struct WalletSigner {
    key: Keypair,
    account: String,
    key_id: String,
    params: TxParams,
}

impl WalletSigner {
    /// A signer for `key`'s own account. `key_id` is the upper-case `SigningPubKey` hex.
    pub fn new(key: Keypair, params: TxParams) -> WalletSigner {
        let account = key.account_id().to_address();
        let key_id = key.public_key_hex();
        WalletSigner { key, account, key_id, params }
    }

    /// The ledger fields used when signing.
    pub fn params(&self) -> &TxParams {
        &self.params
    }

    /// Complete and sign an unsigned transaction.
    pub fn sign_tx(&self, unsigned: &Value) -> Result<SignedTransaction, Error> {
        sign(&complete(unsigned, &self.params)?, &self.key)
    }
}

impl XrplSigner for WalletSigner {
    fn account(&self) -> &str {
        &self.account
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn sign(&self, tx: &Value) -> Result<SignedTx, String> {
        let s = self.sign_tx(tx).map_err(|e| e.to_string())?;
        Ok(SignedTx { signed_tx_blob_hex: s.tx_blob, tx_hash: s.hash, key_id: self.key_id.clone() })
    }
}

/// Fill `Sequence` (`account_info`), `Fee` (`fee`: the open-ledger cost, at least the
/// base fee) and `LastLedgerSequence` (validated ledger + 20) from the ledger. Refuses a
/// fee above `max_fee_drops`.
pub fn autofill(client: &mut JsonRpcClient, account: &str, max_fee_drops: u64) -> Result<TxParams, Error> {
    let sequence = client.account_sequence(account)?;
    let fee_drops = client.fee_drops()?;
    if fee_drops > max_fee_drops {
        return Err(Error::Rpc(format!("fee {fee_drops} drops is above the limit of {max_fee_drops}")));
    }
    let validated = client.validated_ledger_index()?;
    Ok(TxParams {
        fee_drops,
        sequence,
        last_ledger_sequence: Some(validated.saturating_add(LAST_LEDGER_OFFSET)),
        network_id: None,
    })
}

/// Retry and polling settings of [`anchor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorOptions {
    /// The receipts' attempt number.
    pub attempt: i64,
    /// The witness transaction.
    pub kind: WitnessKind,
    /// Submits of the same blob at most (network errors, `tel`, `ter` other than
    /// `terQUEUED`); `tem` is never retried.
    pub max_submits: u32,
    /// First backoff; doubled after each retry.
    pub backoff: Duration,
    /// Pause between tx lookups.
    pub poll_interval: Duration,
    /// Lookups at most before giving up with a `DEFERRED` receipt.
    pub max_polls: u32,
}

impl Default for AnchorOptions {
    fn default() -> AnchorOptions {
        AnchorOptions {
            attempt: 1,
            kind: WitnessKind::AccountSet,
            max_submits: 4,
            backoff: Duration::from_millis(500),
            poll_interval: Duration::from_secs(1),
            max_polls: 120,
        }
    }
}

/// What [`anchor`] did: the signed transaction (journal it: it is what a later
/// confirmation needs) and every receipt, in order. The last receipt is the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct AnchorOutcome {
    /// The signed witness transaction (one for the whole flow).
    pub signed: SignedTransaction,
    /// Submit receipts, then the confirm receipt.
    pub receipts: Vec<Receipt>,
}

/// Anchor `plan` (its memo) with `signer` through `client`:
///
/// 1. Build the witness transaction ([`WitnessKind`]) and sign it once; every
///    (re)submission sends this same blob, so at most one transaction can apply.
/// 2. Submit (`attest_witness::submit` makes the receipt). On a lost answer, a `tel` or
///    a retryable `ter`, wait (exponential backoff), look the known hash up first, and
///    resubmit only if the ledger does not have it. `tefPAST_SEQ`/`tefALREADY` also lead
///    to a lookup of the known hash. `tem` and other failures are final.
/// 3. Poll `tx` until the transaction is validated or the validated ledger is past
///    `LastLedgerSequence`; the confirm receipt is `CONFIRMED` only for a validated
///    `tesSUCCESS` whose memo hashes to the plan's memo digest, else `FAILED`/`REJECTED`.
///
/// `now` gives each receipt's `created_at`.
pub fn anchor(
    plan: &AnchorPlan,
    client: &mut JsonRpcClient,
    signer: &WalletSigner,
    options: &AnchorOptions,
    now: &dyn Fn() -> String,
) -> Result<AnchorOutcome, Error> {
    let mut plan = plan.clone();
    plan.tx = witness_json(&plan, options.kind)?;
    let signed = signer.sign_tx(&plan.tx)?;
    let hash = signed.hash.clone();
    let mut receipts = Vec::new();
    let mut backoff = options.backoff;
    let mut submitted = false;
    for n in 1..=options.max_submits.max(1) {
        if n > 1 {
            sleep(backoff);
            backoff = backoff.saturating_mul(2);
            // Never resubmit something the ledger may already hold.
            if let Ok(s) = client.get_tx(&hash) {
                if s.found {
                    submitted = true;
                    break;
                }
            }
        }
        let receipt = attest_witness::submit(&plan, client, signer, options.attempt, &now())?;
        let status = receipt.status();
        let retry = match status {
            ReceiptStatus::Submitted => {
                let er = receipt.proof().get("engine_result").and_then(Value::as_str).unwrap_or("");
                // Held or queued transactions stay in the server; terQUEUED and
                // tesSUCCESS need no resubmission.
                er.starts_with("ter") && er != "terQUEUED"
            }
            _ => retryable_failure(&receipt),
        };
        let lookup =
            matches!(failure_detail(&receipt), Some(d) if d.contains("tefPAST_SEQ") || d.contains("tefALREADY"));
        receipts.push(receipt);
        if lookup {
            let found = client.get_tx(&hash).map(|s| s.found).unwrap_or(false);
            submitted = found;
            break;
        }
        if status == ReceiptStatus::Submitted && !retry {
            submitted = true;
            break;
        }
        if !retry {
            break;
        }
        submitted = status == ReceiptStatus::Submitted;
    }
    if !submitted {
        return Ok(AnchorOutcome { signed, receipts });
    }
    receipts.push(confirm_until_final(&plan, &hash, client, options, signer.params(), now)?);
    Ok(AnchorOutcome { signed, receipts })
}

/// Poll `tx_hash` until validated (then [`confirm_checked`]), until the validated ledger
/// is past `LastLedgerSequence` (`FAILED`/`REJECTED`, "expired"), or until `max_polls`
/// (`DEFERRED`, as the original's step writes it).
pub fn confirm_until_final(
    plan: &AnchorPlan,
    tx_hash: &str,
    client: &mut JsonRpcClient,
    options: &AnchorOptions,
    params: &TxParams,
    now: &dyn Fn() -> String,
) -> Result<Receipt, Error> {
    let intent_digest = format!("sha256:{}", plan.intent_digest);
    let mut last = None;
    for n in 0..options.max_polls.max(1) {
        if n > 0 {
            sleep(options.poll_interval);
        }
        let receipt = confirm_checked(&intent_digest, tx_hash, client, options.attempt, &plan.memo_digest, &now())?;
        if receipt.status() != ReceiptStatus::Deferred {
            return Ok(receipt);
        }
        if let Some(lls) = params.last_ledger_sequence {
            if client.validated_ledger_index().is_ok_and(|v| v > lls) {
                // One last look: it may have been validated in the meantime.
                let receipt =
                    confirm_checked(&intent_digest, tx_hash, client, options.attempt, &plan.memo_digest, &now())?;
                if receipt.status() != ReceiptStatus::Deferred {
                    return Ok(receipt);
                }
                let detail = format!("expired: not validated by LastLedgerSequence {lls}");
                return with_failure(&receipt, FailureCode::Rejected, detail, false);
            }
        }
        last = Some(receipt);
    }
    last.ok_or_else(|| Error::Rpc("no lookup was made".into()))
}

/// The confirm step with the checks the original lacks (spec §8.4): the original's
/// receipt, except that a validated transaction whose result is not `tesSUCCESS`, or
/// whose first memo does not hash to `memo_digest`, gives `FAILED` with code `REJECTED`
/// and detail `engine_result=<er>` or `memo mismatch` (the proof of the lookup kept).
pub fn confirm_checked(
    intent_digest: &str,
    tx_hash: &str,
    client: &mut JsonRpcClient,
    attempt: i64,
    memo_digest: &str,
    created_at: &str,
) -> Result<Receipt, Error> {
    let receipt = attest_witness::confirm(intent_digest, tx_hash, client, attempt, memo_digest, created_at)?;
    if receipt.status() != ReceiptStatus::Confirmed {
        return Ok(receipt);
    }
    let engine = receipt.proof().get("engine_result").and_then(Value::as_str).unwrap_or("").to_owned();
    if engine != "tesSUCCESS" {
        return with_failure(&receipt, FailureCode::Rejected, format!("engine_result={engine}"), true);
    }
    let memo_ok =
        client.last_tx().filter(|t| t.hash == tx_hash).is_some_and(|t| memo_matches(tx_fields(&t.result), memo_digest));
    if !memo_ok {
        return with_failure(&receipt, FailureCode::Rejected, "memo mismatch".into(), true);
    }
    Ok(receipt)
}

/// Now as `YYYY-MM-DDTHH:MM:SS+00:00` (whole seconds, UTC).
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 1_000_000))
        .unwrap_or(0);
    attest_verify::time::Timestamp::from_unix_micros_saturating(secs.saturating_mul(1_000_000)).isoformat()
}

fn with_failure(receipt: &Receipt, code: FailureCode, detail: String, keep_proof: bool) -> Result<Receipt, Error> {
    let mut fields = receipt.fields().clone();
    fields.status = ReceiptStatus::Failed;
    if !keep_proof {
        fields.proof = attest_verify::json::Map::new();
    }
    fields.error = Some(ReceiptFailure { code: code.as_str().to_owned(), detail: Some(detail) });
    Ok(Receipt::new(fields, Validation::Strict).map_err(attest_witness::XrplError::from)?)
}

fn failure_detail(receipt: &Receipt) -> Option<&str> {
    receipt.error().and_then(|e| e.detail.as_deref())
}

/// A failed submit worth retrying: no answer (`BACKEND_UNAVAILABLE`), or a `tel`/`ter`
/// engine result. Never a `tem`, `tef` or `tec`.
fn retryable_failure(receipt: &Receipt) -> bool {
    let Some(e) = receipt.error() else { return false };
    if e.code == FailureCode::BackendUnavailable.as_str() {
        return e.detail.as_deref().is_some_and(|d| d.starts_with("submit failed"));
    }
    matches!(
        e.detail.as_deref().and_then(|d| d.strip_prefix("engine_result=")),
        Some(er) if er.starts_with("tel") || er.starts_with("ter")
    )
}
