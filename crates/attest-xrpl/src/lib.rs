#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod anchor;
mod base58;
mod codec;
mod error;
mod hash;
mod keys;
mod rpc;
mod seed;
mod tx;

pub use anchor::{
    anchor, autofill, confirm_checked, confirm_until_final, now_utc, AnchorOptions, AnchorOutcome, WalletSigner,
    LAST_LEDGER_OFFSET,
};
pub use base58::{decode_check, encode_check, ALPHABET};
pub use codec::{parse_drops, Field, FieldValue, StObject, MAX_DROPS};
pub use error::Error;
pub use hash::sha512_half;
pub use keys::{verify, AccountId, Keypair};
pub use rpc::{parse_submit, parse_tx, tx_fields, Exchange, JsonRpcClient, LookedUpTx, RpcConfig};
pub use seed::{KeyType, Seed};
pub use tx::{
    check_signed_blob, complete, memo_data, memo_matches, sign, signing_data, tx_id, witness_json, SignedTransaction,
    TxParams, WitnessKind, SIGNING_PREFIX, TX_ID_PREFIX,
};
