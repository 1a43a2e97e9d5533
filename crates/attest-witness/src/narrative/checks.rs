//! The integrity checks of a report and the per-receipt entries they accompany, each
//! as the original words it (strict-mode differences noted on the function).

use attest_verify::digest::Digest;
use attest_verify::json::{Map, Number, Value};
use attest_verify::replay::py_str;

use super::{CheckStatus, ExchangeEvidence, IntegrityCheck, NarrativeOptions, ReceiptEntry, Witness, EXCHANGE_KEYS};
use crate::error::NarrativeError;
use crate::exchange::ExchangeStore;
use crate::intent::Intent;
use crate::pattern::Validation;
use crate::pyint::py_int_text;
use crate::queue::ReceiptRow;
use crate::receipt::{Receipt, ReceiptStatus};

pub(super) fn verify_intent_digest(stored: &str, data: &Value, mode: Validation) -> IntegrityCheck {
    match Intent::from_value(data, mode) {
        Ok(intent) => {
            let recomputed = intent.queue_id();
            let (status, reason) = if recomputed == stored {
                (CheckStatus::Pass, "Intent digest matches recomputed value")
            } else {
                (CheckStatus::Fail, "Intent digest mismatch")
            };
            IntegrityCheck::new("intent_digest_valid", status, reason).with(stored, recomputed)
        }
        Err(e) => IntegrityCheck::new(
            "intent_digest_valid",
            CheckStatus::Fail,
            format!("Failed to recompute intent digest: {}", e.reference_message()),
        ),
    }
}

pub(super) fn verify_receipts_consistent(intent_digest: &str, replay: &[(ReceiptRow, Receipt)]) -> IntegrityCheck {
    const NAME: &str = "receipts_intent_consistent";
    if replay.is_empty() {
        return IntegrityCheck::new(NAME, CheckStatus::Skip, "No receipts to verify");
    }
    let mismatched: Vec<&str> = replay.iter().map(|(_, r)| r.intent_digest()).filter(|d| *d != intent_digest).collect();
    match mismatched.first() {
        None => IntegrityCheck::new(
            NAME,
            CheckStatus::Pass,
            format!("All {} receipts reference correct intent_digest", replay.len()),
        ),
        Some(first) => IntegrityCheck::new(
            NAME,
            CheckStatus::Fail,
            format!("{} receipts reference wrong intent_digest", mismatched.len()),
        )
        .with(intent_digest, *first),
    }
}

pub(super) fn receipt_entry(
    row: &ReceiptRow,
    receipt: &Receipt,
    exchange: Option<&dyn ExchangeStore>,
    options: &NarrativeOptions,
) -> Result<(ReceiptEntry, Vec<IntegrityCheck>), NarrativeError> {
    let strict = options.mode == Validation::Strict;
    let recomputed = receipt.digest().map(|d| d.to_hex()).unwrap_or_default();
    let mut checks = Vec::new();

    let digest_check = if !strict || row.receipt_digest == recomputed {
        IntegrityCheck::new("receipt_digest_valid", CheckStatus::Pass, "Receipt digest matches computed value").with(
            format!("sha256:{}", if strict { &row.receipt_digest } else { &recomputed }),
            format!("sha256:{recomputed}"),
        )
    } else {
        IntegrityCheck::new("receipt_digest_valid", CheckStatus::Fail, "Receipt digest mismatch")
            .with(format!("sha256:{}", row.receipt_digest), format!("sha256:{recomputed}"))
    };
    checks.push(digest_check);
    checks.push(verify_witness_exchange(receipt, exchange));

    let proof = receipt.proof();
    let mut exchanges = Vec::new();
    for key in EXCHANGE_KEYS {
        let Some(content_digest) = receipt.evidence(key) else { continue };
        let name = format!("exchange_exists:{key}");
        checks.push(match exchange {
            None => IntegrityCheck::new(name, CheckStatus::Skip, "No exchange store provided"),
            Some(store) if store.exists(content_digest) => {
                IntegrityCheck::new(name, CheckStatus::Pass, format!("Exchange record found: {content_digest}"))
            }
            Some(_) => {
                IntegrityCheck::new(name, CheckStatus::Fail, format!("Exchange record missing: {content_digest}"))
            }
        });
        let record = exchange.and_then(|s| s.get(content_digest));
        let available = |digest: &str| exchange.is_some_and(|s| s.body_exists(digest));
        let ev = ExchangeEvidence {
            key: key.to_owned(),
            content_digest: content_digest.to_owned(),
            record_found: record.is_some(),
            request_digest: record.as_ref().map(|r| r.request_digest.clone()),
            response_digest: record.as_ref().map(|r| r.response_digest.clone()),
            timestamp: record.as_ref().map(|r| r.timestamp.clone()),
            request_body_available: record.as_ref().is_some_and(|r| available(&r.request_digest)),
            response_body_available: record.as_ref().is_some_and(|r| available(&r.response_digest)),
        };
        if options.include_bodies && ev.record_found {
            for (digest, side) in [(&ev.request_digest, "request"), (&ev.response_digest, "response")] {
                if let Some(d) = digest.as_deref().filter(|d| !d.is_empty()) {
                    checks.push(verify_body(d, &format!("{key}:{side}"), exchange, strict));
                }
            }
        }
        exchanges.push(ev);
    }

    let entry = ReceiptEntry {
        attempt: receipt.attempt(),
        status: receipt.status().as_str().to_owned(),
        created_at: receipt.created_at().to_owned(),
        backend: receipt.backend().to_owned(),
        receipt_digest: format!("sha256:{recomputed}"),
        tx_hash: truthy_str(proof.get("tx_hash")),
        ledger_index: match proof.get("ledger_index") {
            Some(v @ (Value::Bool(_) | Value::String(_))) => Some(int_of(v)?),
            Some(v @ Value::Number(n)) if n.is_integer() => Some(int_of(v)?),
            _ => None,
        },
        ledger_close_time: truthy_str(proof.get("ledger_close_time")),
        engine_result: truthy_str(proof.get("engine_result")),
        error_code: receipt.error().map(|e| e.code.clone()),
        error_detail: receipt.error().and_then(|e| e.detail.clone()),
        memo_digest: receipt.evidence("memo_digest").map(str::to_owned),
        exchanges,
    };
    Ok((entry, checks))
}

fn verify_witness_exchange(receipt: &Receipt, exchange: Option<&dyn ExchangeStore>) -> IntegrityCheck {
    const NAME: &str = "witness_exchange_valid";
    if receipt.status() != ReceiptStatus::Confirmed {
        return IntegrityCheck::new(NAME, CheckStatus::Pass, format!("Not applicable for {} status", receipt.status()));
    }
    let Some(digest) = receipt.evidence("xrpl.tx.exchange") else {
        return IntegrityCheck::new(NAME, CheckStatus::Fail, "CONFIRMED receipt missing xrpl.tx.exchange evidence");
    };
    match exchange {
        None => IntegrityCheck::new(NAME, CheckStatus::Skip, "No exchange store to verify witness evidence"),
        Some(store) if !store.exists(digest) => {
            IntegrityCheck::new(NAME, CheckStatus::Fail, format!("Witness exchange not found in store: {digest}"))
                .with(digest, "<missing>")
        }
        Some(_) => IntegrityCheck::new(NAME, CheckStatus::Pass, format!("Witness exchange evidence stored: {digest}")),
    }
}

fn verify_body(digest: &str, body_type: &str, exchange: Option<&dyn ExchangeStore>, strict: bool) -> IntegrityCheck {
    let name = format!("body_exists:{body_type}");
    let Some(store) = exchange else {
        return IntegrityCheck::new(name, CheckStatus::Skip, "No exchange store provided");
    };
    if !store.body_exists(digest) {
        return IntegrityCheck::new(name, CheckStatus::Fail, format!("Body missing: {digest}"));
    }
    if strict {
        let intact = store.body(digest).is_some_and(|body| Digest::of(&body).to_prefixed() == digest);
        if !intact {
            return IntegrityCheck::new(name, CheckStatus::Fail, format!("Body digest mismatch: {digest}"));
        }
    }
    IntegrityCheck::new(name, CheckStatus::Pass, format!("Body found: {digest}"))
}

pub(super) fn witness_candidate(proof: &Map) -> Result<Option<Witness>, NarrativeError> {
    let (Some(tx_hash), Some(ledger)) = (proof.get("tx_hash"), proof.get("ledger_index")) else {
        return Ok(None);
    };
    if !tx_hash.is_truthy() || !ledger.is_truthy() {
        return Ok(None);
    }
    let ledger_index = match ledger {
        Value::Bool(_) | Value::String(_) => int_of(ledger)?,
        Value::Number(n) if n.is_integer() => n.clone(),
        _ => Number::from_i64(0),
    };
    Ok(Some(Witness {
        tx_hash: py_str(tx_hash),
        ledger_index,
        ledger_close_time: truthy_str(proof.get("ledger_close_time")),
        engine_result: truthy_str(proof.get("engine_result")),
        account: truthy_str(proof.get("account")),
        key_id: truthy_str(proof.get("key_id")),
    }))
}

/// Python `str(v) if v else None`.
fn truthy_str(v: Option<&Value>) -> Option<String> {
    v.filter(|v| v.is_truthy()).map(py_str)
}

/// Python `int(v)` of an integer, boolean or string ledger index.
fn int_of(v: &Value) -> Result<Number, NarrativeError> {
    match v {
        Value::Bool(b) => Ok(Number::from_i64(i64::from(*b))),
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => py_int_text(s).ok_or_else(|| NarrativeError::LedgerIndex(s.clone())),
        other => Err(NarrativeError::LedgerIndex(py_str(other))),
    }
}
