#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod attestation;
mod error;
mod exchange;
mod hex;
mod intent;
mod keys;
mod narrative;
mod pattern;
mod persistent;
mod pyint;
mod queue;
mod receipt;
mod worker;
mod xrpl;

#[doc(hidden)]
pub mod __fuzz;
#[doc(hidden)]
pub mod __vectors;

pub use attestation::{
    attestation_id, check_code, create_attestation, signed_bytes, verify_attestation, verify_attestation_reference,
    Attestation, AttestationPayload, Attestor, ATTESTATION_ID_MISMATCH, ATTESTATION_VERSION,
    CHECK_ATTESTATION_ID_VALID, CHECK_ATTESTATION_VERSION, CHECK_BINDING_DIGEST_FORMAT, CHECK_BINDING_DIGEST_HEX,
    CHECK_CLAIMS_NON_EMPTY, CHECK_PUBLIC_KEY_STRONG, CHECK_SIGNATURE_STRICT, CHECK_SIGNATURE_VALID, CLAIMS_EMPTY,
    DIGEST_FORMAT_INVALID, DIGEST_NOT_HEX, SIGNATURE_INVALID, SIGNATURE_NOT_STRICT, VERSION_UNKNOWN, WEAK_PUBLIC_KEY,
};
pub use error::{
    AttestationError, Error, ExchangeError, IntentError, KeyError, NarrativeError, QueueError, ReceiptError, XrplError,
};
pub use exchange::{
    ExchangeRecord, ExchangeStore, MemoryExchangeStore, PersistentExchangeStore, EXCHANGE_BODY_NAMESPACE,
    EXCHANGE_NAMESPACE,
};
pub use intent::{Intent, IntentFields, INTENT_VERSION, MAX_LABELS, MAX_LABEL_VALUE_CHARS};
pub use keys::{SigningKey, VerifyingKey};
pub use narrative::{
    canonicalization_block, diff_attempts, show_intent, verify_narrative_value, AttemptDiff, CheckStatus,
    ExchangeEvidence, IntegrityCheck, NarrativeOptions, NarrativeReport, ReceiptEntry, Witness, EXCHANGE_KEYS,
    NARRATIVE_SCHEMA, NARRATIVE_VERSION, NEXUS_CONTROL_VERSION,
};
pub use pattern::Validation;
pub use persistent::{PersistentQueue, QueueEntry, QueueSnapshot, WorkerState, INTENT_NAMESPACE};
pub use queue::{IntentRow, MemoryQueue, QueueRead, QueueStatus, QueuedIntent, ReceiptRow, StatusUpdate, PENDING};
pub use receipt::{FailureCode, Receipt, ReceiptFailure, ReceiptFields, ReceiptStatus, RECEIPT_VERSION};
pub use worker::{backoff_micros, CycleOutcome, Worker, WorkerConfig};
pub use xrpl::{
    classify_engine_result, confirm, memo_payload, payment_to_self, plan, submit, AnchorPlan, SignedTx, SubmitResult,
    TransportError, TxStatus, XrplClient, XrplSigner, MAX_MEMO_BYTES, MEMO_TYPE, MEMO_TYPE_HEX, MEMO_VERSION,
    SUBMIT_EXCHANGE_KEY, TX_EXCHANGE_KEY, XRPL_BACKEND,
};
