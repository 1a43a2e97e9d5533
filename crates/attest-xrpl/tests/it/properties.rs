//! Codec and signing properties: encode → decode → encode is the identity, decoding
//! arbitrary bytes never panics, every signature verifies and any flipped bit fails.

use attest_xrpl::{check_signed_blob, sign, AccountId, Field, FieldValue, KeyType, Keypair, Seed, StObject, MAX_DROPS};
use proptest::prelude::*;

fn memo(data: Vec<u8>) -> FieldValue {
    let mut m = StObject::new();
    m.set(Field::MemoType, FieldValue::Blob(b"nexus.attest".to_vec())).unwrap();
    m.set(Field::MemoData, FieldValue::Blob(data)).unwrap();
    FieldValue::Array(vec![(Field::Memo, m)])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip_and_signatures(
        entropy in any::<[u8; 16]>(),
        ed in any::<bool>(),
        seq in any::<u32>(),
        fee in 0..=MAX_DROPS,
        lls in proptest::option::of(any::<u32>()),
        dest in proptest::option::of(any::<[u8; 20]>()),
        data in proptest::collection::vec(any::<u8>(), 1..1200),
        flip in any::<usize>(),
    ) {
        let kt = if ed { KeyType::Ed25519 } else { KeyType::Secp256k1 };
        let key = Keypair::from_seed(&Seed::from_entropy(entropy, kt)).unwrap();
        let mut tx = StObject::new();
        tx.set(Field::TransactionType, FieldValue::UInt16(if dest.is_some() { 0 } else { 3 })).unwrap();
        tx.set(Field::Account, FieldValue::Account(key.account_id())).unwrap();
        tx.set(Field::Sequence, FieldValue::UInt32(seq)).unwrap();
        tx.set(Field::Fee, FieldValue::Drops(fee)).unwrap();
        if let Some(l) = lls { tx.set(Field::LastLedgerSequence, FieldValue::UInt32(l)).unwrap(); }
        if let Some(d) = dest {
            tx.set(Field::Destination, FieldValue::Account(AccountId(d))).unwrap();
            tx.set(Field::Amount, FieldValue::Drops(1)).unwrap();
        }
        tx.set(Field::Memos, memo(data)).unwrap();
        let signed = sign(&tx, &key).unwrap();
        let (decoded, hash) = check_signed_blob(&signed.tx_blob).unwrap();
        prop_assert_eq!(&hash, &signed.hash);
        prop_assert_eq!(decoded.to_json(), signed.tx_json.clone());
        prop_assert_eq!(StObject::from_json(&signed.tx_json).unwrap(), decoded);
        // Flip one bit of the signature field's bytes or of the memo: never verifies.
        let mut blob: Vec<u8> = (0..signed.tx_blob.len()).step_by(2)
            .map(|i| u8::from_str_radix(&signed.tx_blob[i..i + 2], 16).unwrap()).collect();
        let i = blob.len() - 1 - flip % 64;
        blob[i] ^= 1 << (flip % 8);
        let hex: String = blob.iter().map(|b| format!("{b:02X}")).collect();
        prop_assert!(check_signed_blob(&hex).is_err());
    }

    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = StObject::from_bytes(&bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let _ = check_signed_blob(&hex);
        let _ = Seed::parse(&String::from_utf8_lossy(&bytes));
        let _ = AccountId::from_address(&String::from_utf8_lossy(&bytes));
    }
}
