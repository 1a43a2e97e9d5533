//! The XRPL witness model: the memo payload, the anchor plan, engine-result
//! classification, the client and signer boundaries, and the submit and confirm steps
//! that turn their answers into receipts (spec `attestation.md` §8.1–8.6). No network
//! code lives here: a JSON-RPC client and a real signer implement the traits elsewhere.

use std::fmt;

use attest_verify::canonical;
use attest_verify::digest::Digest;
use attest_verify::json::{Map, Value};

use crate::error::XrplError;
use crate::hex;
use crate::intent::Intent;
use crate::pattern::Validation;
use crate::receipt::{FailureCode, Receipt, ReceiptFailure, ReceiptFields, ReceiptStatus};

/// The memo version (`v`).
pub const MEMO_VERSION: &str = "0.1";
/// The memo type (`t`, and the decoded `MemoType`).
pub const MEMO_TYPE: &str = "nexus.attest";
/// Hex of [`MEMO_TYPE`], the `MemoType` field.
pub const MEMO_TYPE_HEX: &str = "6e657875732e617474657374";
/// The largest memo payload, in bytes of canonical JSON.
pub const MAX_MEMO_BYTES: usize = 700;
/// The backend id of every XRPL receipt.
pub const XRPL_BACKEND: &str = "xrpl";
/// Evidence key of the submit exchange.
pub const SUBMIT_EXCHANGE_KEY: &str = "xrpl.submit.exchange";
/// Evidence key of the tx lookup exchange.
pub const TX_EXCHANGE_KEY: &str = "xrpl.tx.exchange";

/// The memo payload of an intent: `v`, `t`, `id` (prefixed intent digest), `st`, `bd`,
/// then `pv`, `rid`, `env`, `ten` for the optional fields that are not null. Labels are
/// never included.
pub fn memo_payload(intent: &Intent) -> Value {
    let mut m = Map::with_capacity(9);
    m.insert("v", Value::str(MEMO_VERSION));
    m.insert("t", Value::str(MEMO_TYPE));
    m.insert("id", Value::String(intent.queue_id()));
    m.insert("st", Value::str(intent.subject_type()));
    m.insert("bd", Value::str(intent.binding_digest()));
    for (k, v) in
        [("pv", intent.package_version()), ("rid", intent.run_id()), ("env", intent.env()), ("ten", intent.tenant())]
    {
        if let Some(v) = v {
            m.insert(k, Value::str(v));
        }
    }
    Value::Object(m)
}

/// The result of planning: everything the submit step needs.
#[derive(Debug, Clone, PartialEq)]
pub struct AnchorPlan {
    /// The unsigned transaction the original plans (a Payment to self; see
    /// [`AnchorPlan::account_set_tx`] for one a server applies).
    pub tx: Value,
    /// Raw-hex intent digest.
    pub intent_digest: String,
    /// Lower-case hex of the memo bytes (`MemoData`).
    pub memo_data_hex: String,
    /// `sha256:` over the memo bytes.
    pub memo_digest: String,
    /// The memo payload.
    pub memo_payload: Value,
    /// The sending account.
    pub account: String,
    /// `"0"` or `"1"`.
    pub amount_drops: String,
}

impl AnchorPlan {
    /// The original's `asdict` of the plan, in its field order: `tx`, `intent_digest`,
    /// `memo_data_hex`, `memo_digest`, `memo_payload`, `account`, `amount_drops`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(7);
        m.insert("tx", self.tx.clone());
        m.insert("intent_digest", Value::str(self.intent_digest.as_str()));
        m.insert("memo_data_hex", Value::str(self.memo_data_hex.as_str()));
        m.insert("memo_digest", Value::str(self.memo_digest.as_str()));
        m.insert("memo_payload", self.memo_payload.clone());
        m.insert("account", Value::str(self.account.as_str()));
        m.insert("amount_drops", Value::str(self.amount_drops.as_str()));
        Value::Object(m)
    }

    /// An `AccountSet` without flags carrying the same memo: valid for any funded
    /// account, changes no setting, costs only the fee. The original's Payment to self
    /// is always refused by a real server (`temREDUNDANT` / `temBAD_AMOUNT`).
    pub fn account_set_tx(&self) -> Value {
        let mut m = Map::with_capacity(3);
        m.insert("TransactionType", Value::str("AccountSet"));
        m.insert("Account", Value::str(self.account.as_str()));
        m.insert("Memos", memos(&self.memo_data_hex));
        Value::Object(m)
    }
}

/// Plan the anchor of `intent` from `account` exactly as the original does: account
/// non-empty, memo at most 700 bytes, then the unsigned Payment to self.
pub fn plan(intent: &Intent, account: &str, amount_drops: &str) -> Result<AnchorPlan, XrplError> {
    if account.is_empty() {
        return Err(XrplError::AccountEmpty);
    }
    let payload = memo_payload(intent);
    // Only strings: the canonical writer cannot fail.
    let bytes = canonical::to_bytes(&payload).unwrap_or_default();
    if bytes.len() > MAX_MEMO_BYTES {
        return Err(XrplError::MemoTooLarge(bytes.len()));
    }
    let memo_digest = Digest::of(&bytes).to_prefixed();
    let memo_data_hex = hex::encode(&bytes);
    let tx = payment_to_self(account, &memo_data_hex, amount_drops)?;
    Ok(AnchorPlan {
        tx,
        intent_digest: intent.digest().to_hex(),
        memo_data_hex,
        memo_digest,
        memo_payload: payload,
        account: account.to_owned(),
        amount_drops: amount_drops.to_owned(),
    })
}

/// The original's unsigned transaction:
/// `{"TransactionType": "Payment", "Account", "Destination" (= Account), "Amount",
/// "Memos": [{"Memo": {"MemoType", "MemoData"}}]}`. Checks, in order: amount exactly
/// `"0"` or `"1"`, account non-empty, memo data non-empty.
pub fn payment_to_self(account: &str, memo_data_hex: &str, amount_drops: &str) -> Result<Value, XrplError> {
    if amount_drops != "0" && amount_drops != "1" {
        return Err(XrplError::Amount(amount_drops.to_owned()));
    }
    if account.is_empty() {
        return Err(XrplError::AccountEmpty);
    }
    if memo_data_hex.is_empty() {
        return Err(XrplError::MemoDataEmpty);
    }
    let mut m = Map::with_capacity(5);
    m.insert("TransactionType", Value::str("Payment"));
    m.insert("Account", Value::str(account));
    m.insert("Destination", Value::str(account));
    m.insert("Amount", Value::str(amount_drops));
    m.insert("Memos", memos(memo_data_hex));
    Ok(Value::Object(m))
}

fn memos(memo_data_hex: &str) -> Value {
    let mut memo = Map::with_capacity(2);
    memo.insert("MemoType", Value::str(MEMO_TYPE_HEX));
    memo.insert("MemoData", Value::str(memo_data_hex));
    let mut wrapper = Map::with_capacity(1);
    wrapper.insert("Memo", Value::Object(memo));
    Value::Array(vec![Value::Object(wrapper)])
}

/// The receipt error code of a failed submit's engine result: `tem`, `tef`, `tec`,
/// `ter` prefixes → `REJECTED`; `tesSUCCESS`, other prefixes, empty and absent →
/// `UNKNOWN`. Wire format; it ignores retryability (`tel`/`ter` are transient).
pub fn classify_engine_result(engine_result: Option<&str>) -> FailureCode {
    match engine_result {
        Some(r) if r != "tesSUCCESS" && ["tem", "tef", "tec", "ter"].iter().any(|p| r.starts_with(p)) => {
            FailureCode::Rejected
        }
        _ => FailureCode::Unknown,
    }
}

/// What a node answered to a submit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitResult {
    /// Whether the node accepted the transaction for processing.
    pub accepted: bool,
    /// The hash the node reports.
    pub tx_hash: Option<String>,
    /// The engine result.
    pub engine_result: Option<String>,
    /// A machine-readable error category.
    pub error_code: Option<String>,
    /// Human-readable detail.
    pub detail: Option<String>,
    /// The exchange record's content digest (recording transports only).
    pub exchange_digest: Option<String>,
}

/// What a node answered to a transaction lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxStatus {
    /// Whether the transaction was found.
    pub found: bool,
    /// Whether it is in a validated ledger.
    pub validated: bool,
    /// The ledger it is in.
    pub ledger_index: Option<i64>,
    /// The final engine result.
    pub engine_result: Option<String>,
    /// The ledger close time.
    pub ledger_close_time: Option<String>,
    /// A machine-readable error category.
    pub error_code: Option<String>,
    /// Human-readable detail.
    pub detail: Option<String>,
    /// The exchange record's content digest (recording transports only).
    pub exchange_digest: Option<String>,
}

/// A transport failure (the request did not get an answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// Whether the failure was a timeout (all failures are recorded as
    /// `BACKEND_UNAVAILABLE`, as the original does; the kind is for retry policy).
    pub timeout: bool,
    /// The error's display text, recorded in the receipt detail.
    pub message: String,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

/// The network boundary: two calls that return plain results and fail only when the
/// request got no answer.
pub trait XrplClient {
    /// Submit a signed transaction blob (hex).
    fn submit(&mut self, signed_tx_blob_hex: &str) -> Result<SubmitResult, TransportError>;
    /// Look a transaction up by hash.
    fn get_tx(&mut self, tx_hash: &str) -> Result<TxStatus, TransportError>;
}

/// A signed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    /// The signed blob, hex.
    pub signed_tx_blob_hex: String,
    /// The hash computed locally.
    pub tx_hash: String,
    /// The public, loggable key identifier recorded in receipts.
    pub key_id: String,
}

/// The signing boundary. Implementations complete the transaction (sequence, fee,
/// last ledger sequence, signing key) before signing.
pub trait XrplSigner {
    /// The account (r-address) that signs.
    fn account(&self) -> &str;
    /// The public key identifier.
    fn key_id(&self) -> &str;
    /// Sign an unsigned transaction; the error text is recorded in the receipt detail.
    fn sign(&self, tx: &Value) -> Result<SignedTx, String>;
}

/// The submit step: sign, submit, and record the outcome as a receipt for `attempt` at
/// `created_at` (the original's table in spec §8.4, byte for byte). Errors only when
/// the answer cannot form a valid receipt (e.g. a malformed exchange digest), where the
/// original raises.
pub fn submit(
    plan: &AnchorPlan,
    client: &mut dyn XrplClient,
    signer: &dyn XrplSigner,
    attempt: i64,
    created_at: &str,
) -> Result<Receipt, XrplError> {
    let mut evidence = vec![("memo_digest".to_owned(), plan.memo_digest.clone())];
    let intent_digest = format!("sha256:{}", plan.intent_digest);
    let receipt = |status, evidence, proof, error| {
        Receipt::new(
            ReceiptFields {
                intent_digest: intent_digest.clone(),
                backend: XRPL_BACKEND.to_owned(),
                attempt,
                status,
                created_at: created_at.to_owned(),
                evidence_digests: evidence,
                proof,
                error,
            },
            Validation::Strict,
        )
        .map_err(XrplError::from)
    };
    let signed = match signer.sign(&plan.tx) {
        Ok(s) => s,
        Err(message) => {
            return receipt(
                ReceiptStatus::Failed,
                evidence,
                Map::new(),
                Some(failure(FailureCode::Rejected, format!("signing failed: {message}"))),
            )
        }
    };
    let result = match client.submit(&signed.signed_tx_blob_hex) {
        Ok(r) => r,
        Err(e) => {
            return receipt(
                ReceiptStatus::Failed,
                evidence,
                Map::new(),
                Some(failure(FailureCode::BackendUnavailable, format!("submit failed: {e}"))),
            )
        }
    };
    if let Some(d) = &result.exchange_digest {
        evidence.push((SUBMIT_EXCHANGE_KEY.to_owned(), d.clone()));
    }
    let mut proof = Map::new();
    if let Some(h) = &result.tx_hash {
        proof.insert("tx_hash", Value::str(h.as_str()));
    }
    if result.accepted {
        if let Some(er) = &result.engine_result {
            proof.insert("engine_result", Value::str(er.as_str()));
        }
        proof.insert("key_id", Value::str(signed.key_id.as_str()));
        return receipt(ReceiptStatus::Submitted, evidence, proof, None);
    }
    let code = classify_engine_result(result.engine_result.as_deref());
    let mut parts = Vec::new();
    if let Some(er) = result.engine_result.as_deref().filter(|s| !s.is_empty()) {
        parts.push(format!("engine_result={er}"));
    }
    if let Some(d) = result.detail.as_deref().filter(|s| !s.is_empty()) {
        parts.push(d.to_owned());
    }
    let detail = (!parts.is_empty()).then(|| parts.join("; "));
    receipt(ReceiptStatus::Failed, evidence, proof, Some(ReceiptFailure { code: code.as_str().to_owned(), detail }))
}

/// The confirm step: look `tx_hash` up once and record the outcome as a receipt
/// (`CONFIRMED` with the ledger proof when validated, `DEFERRED` when not found or not
/// validated, `FAILED`/`BACKEND_UNAVAILABLE` when the lookup got no answer). Like the
/// original it does not check the engine result or the memo of the validated
/// transaction; the worker must.
pub fn confirm(
    intent_digest: &str,
    tx_hash: &str,
    client: &mut dyn XrplClient,
    attempt: i64,
    memo_digest: &str,
    created_at: &str,
) -> Result<Receipt, XrplError> {
    let mut evidence = vec![("memo_digest".to_owned(), memo_digest.to_owned())];
    let fields = |status, evidence, proof, error| ReceiptFields {
        intent_digest: intent_digest.to_owned(),
        backend: XRPL_BACKEND.to_owned(),
        attempt,
        status,
        created_at: created_at.to_owned(),
        evidence_digests: evidence,
        proof,
        error,
    };
    let result = match client.get_tx(tx_hash) {
        Ok(r) => r,
        Err(e) => {
            let error = failure(FailureCode::BackendUnavailable, format!("get_tx failed: {e}"));
            return Ok(Receipt::new(
                fields(ReceiptStatus::Failed, evidence, Map::new(), Some(error)),
                Validation::Strict,
            )?);
        }
    };
    if let Some(d) = &result.exchange_digest {
        evidence.push((TX_EXCHANGE_KEY.to_owned(), d.clone()));
    }
    let (status, proof) = if result.found && result.validated {
        let mut proof = Map::new();
        proof.insert("tx_hash", Value::str(tx_hash));
        if let Some(l) = result.ledger_index {
            proof.insert("ledger_index", Value::int(l));
        }
        if let Some(er) = &result.engine_result {
            proof.insert("engine_result", Value::str(er.as_str()));
        }
        if let Some(t) = &result.ledger_close_time {
            proof.insert("ledger_close_time", Value::str(t.as_str()));
        }
        (ReceiptStatus::Confirmed, proof)
    } else {
        (ReceiptStatus::Deferred, Map::new())
    };
    Ok(Receipt::new(fields(status, evidence, proof, None), Validation::Strict)?)
}

fn failure(code: FailureCode, detail: String) -> ReceiptFailure {
    ReceiptFailure { code: code.as_str().to_owned(), detail: Some(detail) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::IntentFields;

    fn minimal() -> Intent {
        Intent::new(
            IntentFields {
                subject_type: "nexus.audit_package".into(),
                binding_digest: "sha256:e58bb2d469adf646425aac4268f5ceb6e5fd014c85430e8c06081b13362147e3".into(),
                ..IntentFields::default()
            },
            Validation::Strict,
        )
        .unwrap()
    }

    #[test]
    fn minimal_memo() {
        let p = plan(&minimal(), "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", "1").unwrap();
        assert_eq!(p.memo_digest, "sha256:8a0f861034e5b9aff5259a721755cbf3fa571bc92997b98cde0cfcfc0c1e143c");
        assert_eq!(p.memo_data_hex.len(), 2 * 215);
        assert_eq!(plan(&minimal(), "", "1").unwrap_err(), XrplError::AccountEmpty);
        assert_eq!(
            payment_to_self("r", "00", "01").unwrap_err().to_string(),
            "amount_drops must be '0' or '1', got: '01'"
        );
        assert_eq!(p.account_set_tx().get("TransactionType"), Some(&Value::str("AccountSet")));
        let v = p.to_value();
        assert_eq!(v.get("memo_digest"), Some(&Value::str(p.memo_digest.as_str())));
        assert_eq!(v.get("amount_drops"), Some(&Value::str("1")));
    }

    #[test]
    fn classification() {
        for (er, code) in [
            (Some("tesSUCCESS"), "UNKNOWN"),
            (Some("tecPATH_DRY"), "REJECTED"),
            (Some("temBAD_FEE"), "REJECTED"),
            (Some("tefPAST_SEQ"), "REJECTED"),
            (Some("terQUEUED"), "REJECTED"),
            (Some("telINSUF_FEE_P"), "UNKNOWN"),
            (Some(""), "UNKNOWN"),
            (None, "UNKNOWN"),
        ] {
            assert_eq!(classify_engine_result(er).as_str(), code, "{er:?}");
        }
    }

    struct OneShot {
        submit: Option<Result<SubmitResult, TransportError>>,
        get_tx: Option<Result<TxStatus, TransportError>>,
    }

    impl XrplClient for OneShot {
        fn submit(&mut self, _: &str) -> Result<SubmitResult, TransportError> {
            self.submit.take().unwrap_or_else(|| Err(TransportError { timeout: false, message: "no answer".into() }))
        }
        fn get_tx(&mut self, _: &str) -> Result<TxStatus, TransportError> {
            self.get_tx
                .take()
                .unwrap_or_else(|| Err(TransportError { timeout: true, message: "read timed out".into() }))
        }
    }

    struct Signer;

    impl XrplSigner for Signer {
        fn account(&self) -> &str {
            "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
        }
        fn key_id(&self) -> &str {
            "ED11"
        }
        fn sign(&self, _: &Value) -> Result<SignedTx, String> {
            Ok(SignedTx { signed_tx_blob_hex: "12".into(), tx_hash: "c3".into(), key_id: "ED11".into() })
        }
    }

    #[test]
    fn submit_and_confirm_receipts() {
        let p = plan(&minimal(), Signer.account(), "1").unwrap();
        let mut client = OneShot {
            submit: Some(Ok(SubmitResult {
                accepted: false,
                engine_result: Some("tefPAST_SEQ".into()),
                detail: Some("sequence already used".into()),
                ..SubmitResult::default()
            })),
            get_tx: None,
        };
        let r = submit(&p, &mut client, &Signer, 2, "2025-01-15T12:00:00Z").unwrap();
        assert_eq!(r.status(), ReceiptStatus::Failed);
        let e = r.error().unwrap();
        assert_eq!(
            (e.code.as_str(), e.detail.as_deref()),
            ("REJECTED", Some("engine_result=tefPAST_SEQ; sequence already used"))
        );
        assert!(r.proof().is_empty());

        let id = format!("sha256:{}", p.intent_digest);
        let r = confirm(&id, "c3", &mut client, 2, &p.memo_digest, "2025-01-15T12:00:05Z").unwrap();
        assert_eq!(r.error().unwrap().detail.as_deref(), Some("get_tx failed: read timed out"));

        let mut client = OneShot {
            submit: None,
            get_tx: Some(Ok(TxStatus {
                found: true,
                validated: true,
                ledger_index: Some(5),
                exchange_digest: Some("md5:nope".into()),
                ..TxStatus::default()
            })),
        };
        let err = confirm(&id, "c3", &mut client, 2, &p.memo_digest, "2025-01-15T12:00:05Z").unwrap_err();
        assert_eq!(err.code(), "RECEIPT_EVIDENCE_DIGEST");
    }
}
