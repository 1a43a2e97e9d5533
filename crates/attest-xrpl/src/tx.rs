//! The witness transaction and single signing: an `AccountSet` carrying the memo (no
//! funds move) or a 1-drop `Payment` to another account; signing data `STX\0` ‖ signing
//! fields; transaction id SHA-512Half(`TXN\0` ‖ signed blob).

use attest_verify::digest::Digest;
use attest_verify::json::Value;
use attest_witness::{AnchorPlan, MEMO_TYPE_HEX};

use crate::codec::{Field, FieldValue, StObject};
use crate::error::Error;
use crate::hash::{hex_decode, hex_upper, sha512_half};
use crate::keys::{verify, AccountId, Keypair};

/// The single-signing prefix `STX\0`.
pub const SIGNING_PREFIX: [u8; 4] = *b"STX\0";
/// The transaction-id prefix `TXN\0`.
pub const TX_ID_PREFIX: [u8; 4] = *b"TXN\0";

/// Which transaction carries the memo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WitnessKind {
    /// `AccountSet` without flags: always valid for a funded account, changes nothing,
    /// costs only the fee (the default).
    AccountSet,
    /// A `Payment` of 1 drop to another existing account (not the sender).
    Payment {
        /// The receiving account.
        destination: AccountId,
    },
}

/// The ledger-dependent fields, filled by autofill or given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxParams {
    /// `Fee` in drops.
    pub fee_drops: u64,
    /// The account's next `Sequence`.
    pub sequence: u32,
    /// `LastLedgerSequence`; strongly recommended (a transaction without one may be
    /// applied at any later time).
    pub last_ledger_sequence: Option<u32>,
    /// `NetworkID`; only on networks whose id is above 1024.
    pub network_id: Option<u32>,
}

/// A signed transaction, as `witness sign` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedTransaction {
    /// The decoded form of the blob (the JSON an XRPL codec's `decode` gives).
    pub tx_json: Value,
    /// The signed blob, upper-case hex.
    pub tx_blob: String,
    /// The transaction id, 64 upper-case hex.
    pub hash: String,
}

/// The unsigned witness transaction of `plan` (its account and memo) as JSON: the plan's
/// `account_set_tx()`, or a 1-drop Payment with the same memo. Refuses a Payment to the
/// sending account (a server answers `temREDUNDANT`).
pub fn witness_json(plan: &AnchorPlan, kind: WitnessKind) -> Result<Value, Error> {
    let mut tx = plan.account_set_tx();
    if let WitnessKind::Payment { destination } = kind {
        if destination.to_address() == plan.account {
            return Err(Error::Tx("a payment witness needs a destination other than the account".into()));
        }
        if let Value::Object(m) = &mut tx {
            m.insert("TransactionType", Value::str("Payment"));
            m.insert("Destination", Value::String(destination.to_address()));
            m.insert("Amount", Value::str("1"));
        }
    }
    Ok(tx)
}

/// Read an unsigned transaction and complete it with `params` (`Fee`, `Sequence`,
/// `LastLedgerSequence`, `NetworkID`). The transaction must be an `AccountSet` or a
/// `Payment` with an XRP amount, and must carry exactly one memo of type
/// `nexus.attest`.
pub fn complete(unsigned: &Value, params: &TxParams) -> Result<StObject, Error> {
    let mut tx = StObject::from_json(unsigned)?;
    match tx.get(Field::TransactionType) {
        Some(FieldValue::UInt16(0 | 3)) => {}
        _ => return Err(Error::Tx("only AccountSet and Payment witnesses are supported".into())),
    }
    if !matches!(tx.get(Field::Account), Some(FieldValue::Account(_))) {
        return Err(Error::Tx("`Account` is required".into()));
    }
    if memo_data(&tx).is_none() {
        return Err(Error::Tx("exactly one `nexus.attest` memo is required".into()));
    }
    tx.set(Field::Fee, FieldValue::Drops(params.fee_drops))?;
    tx.set(Field::Sequence, FieldValue::UInt32(params.sequence))?;
    if let Some(l) = params.last_ledger_sequence {
        tx.set(Field::LastLedgerSequence, FieldValue::UInt32(l))?;
    }
    if let Some(n) = params.network_id {
        tx.set(Field::NetworkID, FieldValue::UInt32(n))?;
    }
    Ok(tx)
}

/// Sign `tx` with `key` (single signing): sets `SigningPubKey`, signs `STX\0` ‖ the
/// signing fields, adds `TxnSignature`, and computes the transaction id. Deterministic:
/// the same transaction and key always give the same blob and hash.
pub fn sign(tx: &StObject, key: &Keypair) -> Result<SignedTransaction, Error> {
    let mut tx = tx.clone();
    tx.remove(Field::TxnSignature);
    tx.set(Field::SigningPubKey, FieldValue::Blob(key.public_key().to_vec()))?;
    let signature = key.sign(&signing_data(&tx))?;
    tx.set(Field::TxnSignature, FieldValue::Blob(signature))?;
    let blob = tx.to_bytes();
    Ok(SignedTransaction { tx_json: tx.to_json(), tx_blob: hex_upper(&blob), hash: hex_upper(&tx_id(&blob)) })
}

/// `STX\0` followed by the signing fields of `tx`.
pub fn signing_data(tx: &StObject) -> Vec<u8> {
    let mut data = SIGNING_PREFIX.to_vec();
    data.extend_from_slice(&tx.signing_bytes());
    data
}

/// SHA-512Half(`TXN\0` ‖ `signed_blob`).
pub fn tx_id(signed_blob: &[u8]) -> [u8; 32] {
    sha512_half(&[&TX_ID_PREFIX, signed_blob])
}

/// Decode a signed blob (hex) and check it as a server would before applying it: it
/// decodes, has `SigningPubKey` and `TxnSignature`, the signature verifies over the
/// signing data, and the public key belongs to `Account` (no regular keys here).
/// Returns the transaction and its id. Never panics.
pub fn check_signed_blob(blob_hex: &str) -> Result<(StObject, String), Error> {
    let blob = hex_decode(blob_hex, "tx_blob")?;
    let tx = StObject::from_bytes(&blob)?;
    let (Some(FieldValue::Blob(pk)), Some(FieldValue::Blob(sig)), Some(FieldValue::Account(account))) =
        (tx.get(Field::SigningPubKey), tx.get(Field::TxnSignature), tx.get(Field::Account))
    else {
        return Err(Error::Decode("missing SigningPubKey, TxnSignature or Account".into()));
    };
    if !verify(pk, &signing_data(&tx), sig) || AccountId::of_public_key(pk) != *account {
        return Err(Error::Signature);
    }
    Ok((tx, hex_upper(&tx_id(&blob))))
}

/// The `MemoData` of the only memo of `tx` when its type is `nexus.attest`.
pub fn memo_data(tx: &StObject) -> Option<&[u8]> {
    let Some(FieldValue::Array(items)) = tx.get(Field::Memos) else { return None };
    let [(Field::Memo, memo)] = items.as_slice() else { return None };
    match (memo.get(Field::MemoType), memo.get(Field::MemoData)) {
        (Some(FieldValue::Blob(t)), Some(FieldValue::Blob(d))) if hex_upper(t).eq_ignore_ascii_case(MEMO_TYPE_HEX) => {
            Some(d)
        }
        _ => None,
    }
}

/// Whether the first memo of a transaction's JSON (`Memos[0].Memo.MemoData`, hex of
/// either case) holds bytes whose `sha256:` digest is `memo_digest`.
pub fn memo_matches(tx_json: &Value, memo_digest: &str) -> bool {
    let data = tx_json
        .get("Memos")
        .and_then(Value::as_array)
        .and_then(<[Value]>::first)
        .and_then(|m| m.get("Memo"))
        .and_then(|m| m.get("MemoData"))
        .and_then(Value::as_str);
    match data.map(|d| hex_decode(d, "MemoData")) {
        Some(Ok(bytes)) => Digest::of(&bytes).to_prefixed() == memo_digest,
        _ => false,
    }
}
