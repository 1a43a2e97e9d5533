//! The crate's errors: one narrow enum per operation, each with a stable `code()`, all
//! converting into [`Error`].
//!
//! Intent and receipt validation errors display the original's messages verbatim (the
//! golden vectors pin them); the other messages follow the workspace style.

use attest_verify::pyrepr::repr_str;

/// Why a key could not be read or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not exactly 32 bytes (the original's message).
    #[error("An Ed25519 public key is 32 bytes long")]
    PublicKeyLength,
    /// A private seed that is not 32 bytes.
    #[error("an Ed25519 private seed is 32 bytes long")]
    SeedLength,
    /// Hex text with a character that is not a hex digit, or an odd length.
    #[error("key text is not hex")]
    NotHex,
    /// 32 bytes that do not decode to a curve point.
    #[error("public key is not a point on the curve")]
    NotOnCurve,
    /// A small-order point: one forged signature verifies for every (or many) payloads.
    #[error("public key is a small-order point")]
    Weak,
    /// A non-canonical encoding of a point (e.g. y ≥ p).
    #[error("public key encoding is not canonical")]
    NonCanonical,
    /// The operating system's random source failed.
    #[error("could not read random bytes: {0}")]
    Random(String),
}

impl KeyError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::PublicKeyLength => "KEY_LENGTH",
            KeyError::SeedLength => "KEY_SEED_LENGTH",
            KeyError::NotHex => "KEY_NOT_HEX",
            KeyError::NotOnCurve => "KEY_NOT_ON_CURVE",
            KeyError::Weak => "KEY_WEAK",
            KeyError::NonCanonical => "KEY_NON_CANONICAL",
            KeyError::Random(_) => "KEY_RANDOM_UNAVAILABLE",
        }
    }
}

/// Why an attestation document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationError {
    /// A required key is absent (the original raises `KeyError`).
    #[error("missing key `{0}`")]
    MissingKey(String),
    /// A value of the wrong JSON type.
    #[error("`{path}` must be {expected}")]
    WrongType {
        /// Dotted path of the value.
        path: String,
        /// What it must be.
        expected: &'static str,
    },
    /// Strict parse only: a key the format does not define.
    #[error("unknown key `{0}`")]
    UnknownKey(String),
    /// Strict parse only: `attestation_id` is not derived from the signature.
    #[error("attestation_id `{actual}` does not match the signature (expected `{expected}`)")]
    IdMismatch {
        /// The id recomputed from the signature.
        expected: String,
        /// The id in the document.
        actual: String,
    },
    /// Strict parse only: the signature is not 128 hex characters, so no id can be derived.
    #[error("signature is not 128 hex characters")]
    SignatureEncoding,
}

impl AttestationError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            AttestationError::MissingKey(_) => "ATTESTATION_MISSING_FIELD",
            AttestationError::WrongType { .. } => "ATTESTATION_FIELD_TYPE",
            AttestationError::UnknownKey(_) => "ATTESTATION_UNKNOWN_FIELD",
            AttestationError::IdMismatch { .. } => "ATTESTATION_ID_MISMATCH",
            AttestationError::SignatureEncoding => "ATTESTATION_SIGNATURE_ENCODING",
        }
    }
}

/// Why an attestation intent was refused. Validation variants display the original's
/// messages (values quoted in Python `repr` form).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntentError {
    /// The input is not a JSON object.
    #[error("an intent must be a JSON object")]
    NotAnObject,
    /// `subject_type` or `binding_digest` is absent.
    #[error("missing key `{0}`")]
    MissingKey(&'static str),
    /// A value of the wrong JSON type (the original does not check types; see the spec).
    #[error("`{key}` must be {expected}")]
    WrongType {
        /// The offending key (`labels.<key>` for a label value).
        key: String,
        /// What it must be.
        expected: &'static str,
    },
    /// `binding_digest` is not `sha256:` + 64 lower-case hex.
    #[error("binding_digest must be 'sha256:' + 64 lowercase hex chars, got: {}", repr_str(.0))]
    BindingDigest(String),
    /// More than 32 labels.
    #[error("labels: max 32 entries, got {0}")]
    TooManyLabels(usize),
    /// A label key outside `[a-zA-Z0-9._-]{1,64}`.
    #[error("label key must be 1-64 ASCII chars [a-zA-Z0-9._-], got: {}", repr_str(.0))]
    LabelKey(String),
    /// A label value longer than 256 code points (the key is carried).
    #[error("label value for {} exceeds 256 chars", repr_str(.0))]
    LabelValueTooLong(String),
    /// A label value with a character below U+0020 (the key is carried).
    #[error("label value for {} contains control characters", repr_str(.0))]
    LabelValueControl(String),
}

impl IntentError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            IntentError::NotAnObject => "INTENT_NOT_AN_OBJECT",
            IntentError::MissingKey(_) => "INTENT_MISSING_FIELD",
            IntentError::WrongType { .. } => "INTENT_FIELD_TYPE",
            IntentError::BindingDigest(_) => "INTENT_BINDING_DIGEST",
            IntentError::TooManyLabels(_) => "INTENT_TOO_MANY_LABELS",
            IntentError::LabelKey(_) => "INTENT_LABEL_KEY",
            IntentError::LabelValueTooLong(_) => "INTENT_LABEL_VALUE_LENGTH",
            IntentError::LabelValueControl(_) => "INTENT_LABEL_VALUE_CONTROL",
        }
    }

    /// The text Python's `str()` of the original's exception would give: validation
    /// messages as displayed, a missing key as `'<key>'` (what `KeyError` prints). Used
    /// where the message is hashed (the narrative's `intent_digest_valid` reason).
    pub fn reference_message(&self) -> String {
        match self {
            IntentError::MissingKey(k) => repr_str(k),
            other => other.to_string(),
        }
    }
}

/// Why an attestation receipt was refused. Validation variants display the original's
/// messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The input is not a JSON object.
    #[error("a receipt must be a JSON object")]
    NotAnObject,
    /// A required key is absent (`error.code` for a non-empty error object).
    #[error("missing key `{0}`")]
    MissingKey(&'static str),
    /// A value of the wrong JSON type.
    #[error("`{key}` must be {expected}")]
    WrongType {
        /// The offending key.
        key: String,
        /// What it must be.
        expected: &'static str,
    },
    /// `attempt` cannot be converted to an integer (the lenient conversion of the
    /// original); the text is the Python `repr` of the value.
    #[error("invalid literal for int() with base 10: {0}")]
    AttemptNotInteger(String),
    /// A status other than the four receipt statuses (the text is the Python `repr`).
    #[error("{0} is not a valid ReceiptStatus")]
    UnknownStatus(String),
    /// `intent_digest` is not `sha256:` + 64 lower-case hex.
    #[error("intent_digest must be 'sha256:' + 64 lowercase hex chars, got: {}", repr_str(.0))]
    IntentDigest(String),
    /// `backend` is not `[a-z0-9._-]{1,64}`.
    #[error("backend must be 1-64 chars [a-z0-9._-], got: {}", repr_str(.0))]
    Backend(String),
    /// `attempt` below 1 (the decimal text of the value).
    #[error("attempt must be >= 1, got: {0}")]
    Attempt(String),
    /// `created_at` is not an RFC 3339 UTC time ending `Z` or `+00:00`.
    #[error("created_at must be RFC3339 UTC (ending Z or +00:00), got: {}", repr_str(.0))]
    CreatedAt(String),
    /// Strict validation only: `created_at` has the right shape but names no real
    /// date and time (month 13, 30 February, hour 24, ...).
    #[error("created_at is not a real UTC date and time, got: {}", repr_str(.0))]
    CreatedAtCalendar(String),
    /// An evidence digest that is not `sha256:` + 64 lower-case hex.
    #[error("evidence_digests[{}] must be 'sha256:' + 64 lowercase hex, got: {}", repr_str(.key), repr_str(.value))]
    EvidenceDigest {
        /// The evidence key.
        key: String,
        /// The offending value.
        value: String,
    },
    /// A `CONFIRMED` receipt with an empty proof.
    #[error("proof must be non-empty when status is CONFIRMED")]
    ProofRequired,
}

impl ReceiptError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::NotAnObject => "RECEIPT_NOT_AN_OBJECT",
            ReceiptError::MissingKey(_) => "RECEIPT_MISSING_FIELD",
            ReceiptError::WrongType { .. } => "RECEIPT_FIELD_TYPE",
            ReceiptError::AttemptNotInteger(_) => "RECEIPT_ATTEMPT_NOT_INTEGER",
            ReceiptError::UnknownStatus(_) => "RECEIPT_UNKNOWN_STATUS",
            ReceiptError::IntentDigest(_) => "RECEIPT_INTENT_DIGEST",
            ReceiptError::Backend(_) => "RECEIPT_BACKEND",
            ReceiptError::Attempt(_) => "RECEIPT_ATTEMPT",
            ReceiptError::CreatedAt(_) => "RECEIPT_CREATED_AT",
            ReceiptError::CreatedAtCalendar(_) => "RECEIPT_CREATED_AT_CALENDAR",
            ReceiptError::EvidenceDigest { .. } => "RECEIPT_EVIDENCE_DIGEST",
            ReceiptError::ProofRequired => "RECEIPT_PROOF_REQUIRED",
        }
    }
}

/// Why a queue operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// A receipt for an intent that was never enqueued (the original stores it with no
    /// status row; the strict queue refuses it).
    #[error("no intent `{0}` in the queue")]
    UnknownIntent(String),
    /// A stored receipt row no longer parses or validates.
    #[error("stored receipt `{digest}` is invalid: {source}")]
    StoredReceipt {
        /// The row's stored receipt digest.
        digest: String,
        /// Why it does not read back.
        source: Box<ReceiptError>,
    },
    /// A stored receipt row is not JSON.
    #[error("stored receipt `{0}` is not JSON")]
    StoredReceiptJson(String),
    /// A stored intent record does not have the ledger row's shape.
    #[error("stored intent `{0}` is invalid")]
    StoredIntent(String),
    /// An intent whose memo payload exceeds the 700-byte limit (it could never be
    /// anchored, so it is refused at enqueue).
    #[error("intent memo is {0} bytes, the limit is 700")]
    MemoTooLarge(usize),
    /// Other writers kept changing the entry; nothing was written.
    #[error("queue entry `{0}` kept changing under concurrent writers")]
    Contended(String),
    /// The store failed; nothing was written.
    #[error("queue store: {0}")]
    Store(#[from] attest_store::StoreError),
}

impl QueueError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            QueueError::UnknownIntent(_) => "QUEUE_UNKNOWN_INTENT",
            QueueError::StoredReceipt { .. } | QueueError::StoredReceiptJson(_) => "QUEUE_STORED_RECEIPT_INVALID",
            QueueError::StoredIntent(_) => "QUEUE_STORED_INTENT_INVALID",
            QueueError::MemoTooLarge(_) => "QUEUE_MEMO_TOO_LARGE",
            QueueError::Contended(_) => "QUEUE_CONTENDED",
            QueueError::Store(_) => "QUEUE_STORE",
        }
    }
}

/// Why an exchange record or body was refused by the exchange store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// A digest that is not `sha256:` + 64 lower-case hex (never used to name a body).
    #[error("exchange digest `{0}` is not 'sha256:' + 64 lower-case hex")]
    InvalidDigest(String),
    /// A body whose SHA-256 is not the digest it is stored under.
    #[error("body does not hash to `{0}`")]
    BodyMismatch(String),
    /// The store under a persistent exchange store failed.
    #[error("exchange store: {0}")]
    Store(String),
}

impl ExchangeError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ExchangeError::InvalidDigest(_) => "EXCHANGE_INVALID_DIGEST",
            ExchangeError::BodyMismatch(_) => "EXCHANGE_BODY_MISMATCH",
            ExchangeError::Store(_) => "EXCHANGE_STORE",
        }
    }
}

/// Why a narrative report could not be built (the original aborts in these cases).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NarrativeError {
    /// The stored intent row's `intent_json` is not a JSON object.
    #[error("stored intent `{0}` is not a JSON object")]
    StoredIntent(String),
    /// A stored receipt does not read back.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A proof's `ledger_index` is a string that is not a decimal integer.
    #[error("ledger_index `{0}` is not an integer")]
    LedgerIndex(String),
}

impl NarrativeError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            NarrativeError::StoredIntent(_) => "NARRATIVE_STORED_INTENT",
            NarrativeError::Queue(e) => e.code(),
            NarrativeError::LedgerIndex(_) => "NARRATIVE_LEDGER_INDEX",
        }
    }
}

/// Why an XRPL anchor could not be planned or a step's receipt could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XrplError {
    /// An empty account (the original's message).
    #[error("account must be non-empty")]
    AccountEmpty,
    /// The memo's canonical JSON is longer than 700 bytes (the original's message).
    #[error("memo payload exceeds 700 bytes (got {0} bytes)")]
    MemoTooLarge(usize),
    /// An amount other than `"0"` or `"1"` (the original's message).
    #[error("amount_drops must be '0' or '1', got: {}", repr_str(.0))]
    Amount(String),
    /// Empty memo data (the original's message).
    #[error("memo_data_hex must be non-empty")]
    MemoDataEmpty,
    /// A client or signer answer that makes an invalid receipt (e.g. a malformed
    /// exchange digest); the original raises here.
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
}

impl XrplError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            XrplError::AccountEmpty => "XRPL_ACCOUNT_EMPTY",
            XrplError::MemoTooLarge(_) => "XRPL_MEMO_TOO_LARGE",
            XrplError::Amount(_) => "XRPL_AMOUNT",
            XrplError::MemoDataEmpty => "XRPL_MEMO_DATA_EMPTY",
            XrplError::Receipt(e) => e.code(),
        }
    }
}

/// Any error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// See [`KeyError`].
    #[error(transparent)]
    Key(#[from] KeyError),
    /// See [`AttestationError`].
    #[error(transparent)]
    Attestation(#[from] AttestationError),
    /// See [`IntentError`].
    #[error(transparent)]
    Intent(#[from] IntentError),
    /// See [`ReceiptError`].
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    /// See [`QueueError`].
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// See [`ExchangeError`].
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// See [`NarrativeError`].
    #[error(transparent)]
    Narrative(#[from] NarrativeError),
    /// See [`XrplError`].
    #[error(transparent)]
    Xrpl(#[from] XrplError),
}

impl Error {
    /// Stable error code of the underlying error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Key(e) => e.code(),
            Error::Attestation(e) => e.code(),
            Error::Intent(e) => e.code(),
            Error::Receipt(e) => e.code(),
            Error::Queue(e) => e.code(),
            Error::Exchange(e) => e.code(),
            Error::Narrative(e) => e.code(),
            Error::Xrpl(e) => e.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_per_variant() {
        let receipt = || Box::new(ReceiptError::ProofRequired);
        let all: Vec<&'static str> = vec![
            KeyError::PublicKeyLength.code(),
            KeyError::SeedLength.code(),
            KeyError::NotHex.code(),
            KeyError::NotOnCurve.code(),
            KeyError::Weak.code(),
            KeyError::NonCanonical.code(),
            KeyError::Random(String::new()).code(),
            AttestationError::MissingKey(String::new()).code(),
            AttestationError::WrongType { path: String::new(), expected: "" }.code(),
            AttestationError::UnknownKey(String::new()).code(),
            AttestationError::IdMismatch { expected: String::new(), actual: String::new() }.code(),
            AttestationError::SignatureEncoding.code(),
            IntentError::NotAnObject.code(),
            IntentError::MissingKey("").code(),
            IntentError::WrongType { key: String::new(), expected: "" }.code(),
            IntentError::BindingDigest(String::new()).code(),
            IntentError::TooManyLabels(0).code(),
            IntentError::LabelKey(String::new()).code(),
            IntentError::LabelValueTooLong(String::new()).code(),
            IntentError::LabelValueControl(String::new()).code(),
            ReceiptError::NotAnObject.code(),
            ReceiptError::MissingKey("").code(),
            ReceiptError::WrongType { key: String::new(), expected: "" }.code(),
            ReceiptError::AttemptNotInteger(String::new()).code(),
            ReceiptError::UnknownStatus(String::new()).code(),
            ReceiptError::IntentDigest(String::new()).code(),
            ReceiptError::Backend(String::new()).code(),
            ReceiptError::Attempt(String::new()).code(),
            ReceiptError::CreatedAt(String::new()).code(),
            ReceiptError::CreatedAtCalendar(String::new()).code(),
            ReceiptError::EvidenceDigest { key: String::new(), value: String::new() }.code(),
            ReceiptError::ProofRequired.code(),
            QueueError::UnknownIntent(String::new()).code(),
            QueueError::StoredReceipt { digest: String::new(), source: receipt() }.code(),
            QueueError::StoredIntent(String::new()).code(),
            QueueError::MemoTooLarge(0).code(),
            QueueError::Contended(String::new()).code(),
            QueueError::Store(attest_store::StoreError::Backend(String::new())).code(),
            ExchangeError::InvalidDigest(String::new()).code(),
            ExchangeError::BodyMismatch(String::new()).code(),
            NarrativeError::StoredIntent(String::new()).code(),
            NarrativeError::LedgerIndex(String::new()).code(),
            XrplError::AccountEmpty.code(),
            XrplError::MemoTooLarge(0).code(),
            XrplError::Amount(String::new()).code(),
            XrplError::MemoDataEmpty.code(),
        ];
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "duplicate error code in {all:?}");
    }

    #[test]
    fn validation_messages_are_the_originals() {
        assert_eq!(
            IntentError::LabelKey("bad key".into()).to_string(),
            "label key must be 1-64 ASCII chars [a-zA-Z0-9._-], got: 'bad key'"
        );
        assert_eq!(
            ReceiptError::EvidenceDigest { key: "memo_digest".into(), value: "md5:abc".into() }.to_string(),
            "evidence_digests['memo_digest'] must be 'sha256:' + 64 lowercase hex, got: 'md5:abc'"
        );
        assert_eq!(IntentError::MissingKey("subject_type").reference_message(), "'subject_type'");
    }
}
