//! Spec `attestation.md` §9, KA-3 to KA-5 (KA-1, KA-2 and the base58 values of KA-5 are
//! unit tests in `keys.rs` and `seed.rs`; repeated here through the public API).

use attest_xrpl::{check_signed_blob, AccountId, Keypair, Seed, TxParams, WalletSigner, WitnessKind};

use crate::minimal_plan;

const ED_SEED: &str = "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r";
const GENESIS_SEED: &str = "snoPBrXtMeMyMHUVTgbuqAfg1SUTb";
const ED_ACCOUNT: &str = "rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD";
const GENESIS: &str = "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh";

fn signer(seed: &str, sequence: u32) -> WalletSigner {
    let key = Keypair::from_seed(&Seed::parse(seed).unwrap()).unwrap();
    WalletSigner::new(key, TxParams { fee_drops: 12, sequence, last_ledger_sequence: Some(1000), network_id: None })
}

fn memo_upper(account: &str) -> String {
    minimal_plan(account).memo_data_hex.to_uppercase()
}

#[test]
fn ka1_ka2_keys_through_the_public_api() {
    let g = Keypair::from_seed(&Seed::parse(GENESIS_SEED).unwrap()).unwrap();
    assert_eq!(g.public_key_hex(), "0330E7FC9D56BB25D6893BA3F317AE5BCF33B3291BD63DB32654A313222F7FD020");
    assert_eq!(g.account_id().to_address(), GENESIS);
    let e = Keypair::from_seed(&Seed::parse(ED_SEED).unwrap()).unwrap();
    assert_eq!(e.public_key_hex(), "ED01FA53FA5A7E77798F882ECE20B1ABC00BB358A9E55A202D0D0676BD0CE37A63");
    assert_eq!(e.account_id().to_address(), ED_ACCOUNT);
    assert_eq!(AccountId([0; 20]).to_address(), "rrrrrrrrrrrrrrrrrrrrrhoLvTp");
}

#[test]
fn ka3_account_set_ed25519() {
    let p = minimal_plan(ED_ACCOUNT);
    let s = signer(ED_SEED, 1);
    let signed = s.sign_tx(&attest_xrpl::witness_json(&p, WitnessKind::AccountSet).unwrap()).unwrap();
    let sig = "FF6BC65F5D0250CB1F69F7DD01851EDF42BD55FB825A0F154BFD1D45E7308815ECC3D399A7CD9877BA0B243A8FB999B5504BA313996A6CCB3F9D6965D54C710E";
    let expected = [
        "120003",
        "2400000001",
        "201B000003E8",
        "68400000000000000C",
        "7321ED01FA53FA5A7E77798F882ECE20B1ABC00BB358A9E55A202D0D0676BD0CE37A63",
        &format!("7440{sig}"),
        "8114D28B177E48D9A8D057E70F7E464B498367281B98",
        "F9EA",
        "7C0C6E657875732E617474657374",
        &format!("7DC116{}", memo_upper(ED_ACCOUNT)),
        "E1F1",
    ]
    .concat();
    assert_eq!(signed.tx_blob, expected);
    assert_eq!(signed.hash, "6215806C00AAE168F8FC7A9FDA2F9BFDCFCA6D1F950618D56FF8DB785412491C");
    // Signing data = STX\0 + the blob without the TxnSignature field.
    let (tx, hash) = check_signed_blob(&signed.tx_blob).unwrap();
    assert_eq!(hash, signed.hash);
    let data = attest_xrpl::signing_data(&tx);
    let without_sig = expected.replace(&format!("7440{sig}"), "");
    assert_eq!(attest_xrpl::sha512_half(&[&data]), attest_xrpl::sha512_half(&[b"STX\0", &hex(&without_sig)]));
}

#[test]
fn ka4_account_set_secp256k1() {
    let p = minimal_plan(GENESIS);
    let signed =
        signer(GENESIS_SEED, 1).sign_tx(&attest_xrpl::witness_json(&p, WitnessKind::AccountSet).unwrap()).unwrap();
    let sig = "3045022100DDB9EF5A6DEFDFBC45479023450D90E2F19A6DBC0B61035DB5DB104AF3A126F9022052ED83FC706AC3ACDDBB0A9436BA3244A3D712F6F91772CE526C4A02B4CA1B54";
    let expected = [
        "120003",
        "2400000001",
        "201B000003E8",
        "68400000000000000C",
        "73210330E7FC9D56BB25D6893BA3F317AE5BCF33B3291BD63DB32654A313222F7FD020",
        &format!("7447{sig}"),
        "8114B5F762798A53D543A014CAF8B297CFF8F2F937E8",
        "F9EA7C0C6E657875732E617474657374",
        &format!("7DC116{}", memo_upper(GENESIS)),
        "E1F1",
    ]
    .concat();
    assert_eq!(signed.tx_blob, expected);
    assert_eq!(signed.hash, "F9862F437446F8AC29B420F00AA5E55304A332BA0179C0B9BC236CC123F5A37E");
    assert_eq!(check_signed_blob(&signed.tx_blob).unwrap().1, signed.hash);
}

#[test]
fn ka5_one_drop_payment() {
    let p = minimal_plan(ED_ACCOUNT);
    let kind = WitnessKind::Payment { destination: AccountId::from_address(GENESIS).unwrap() };
    let signed = signer(ED_SEED, 2).sign_tx(&attest_xrpl::witness_json(&p, kind).unwrap()).unwrap();
    let sig = "C3465E65CC046D219926672118100962901E1D2AB5710A16776977D11ADE59B631AC8B60550729D74D1C0E3583FD1D1AB7D50E01892318B387BFF5184FDD630D";
    let expected = [
        "120000",
        "2400000002",
        "201B000003E8",
        "614000000000000001",
        "68400000000000000C",
        "7321ED01FA53FA5A7E77798F882ECE20B1ABC00BB358A9E55A202D0D0676BD0CE37A63",
        &format!("7440{sig}"),
        "8114D28B177E48D9A8D057E70F7E464B498367281B98",
        "8314B5F762798A53D543A014CAF8B297CFF8F2F937E8",
        "F9EA7C0C6E657875732E617474657374",
        &format!("7DC116{}", memo_upper(ED_ACCOUNT)),
        "E1F1",
    ]
    .concat();
    assert_eq!(signed.tx_blob, expected);
    assert_eq!(signed.hash, "63E27302480D4539D6527D9F163C8B90BBCC6CE693A958FBE261C3C7385241A3");
    // A Payment to the sending account is refused before signing (temREDUNDANT).
    let to_self = WitnessKind::Payment { destination: AccountId::from_address(ED_ACCOUNT).unwrap() };
    assert_eq!(attest_xrpl::witness_json(&p, to_self).unwrap_err().code(), "XRPL_TX");
}

#[test]
fn the_decoded_json_is_what_an_xrpl_codec_prints() {
    let p = minimal_plan(ED_ACCOUNT);
    let signed = signer(ED_SEED, 1).sign_tx(&attest_xrpl::witness_json(&p, WitnessKind::AccountSet).unwrap()).unwrap();
    let text = attest_verify::canonical::to_display_string(&signed.tx_json, None);
    assert!(text.starts_with(r#"{"TransactionType": "AccountSet", "Sequence": 1, "LastLedgerSequence": 1000, "Fee": "12", "SigningPubKey": "ED01FA"#), "{text}");
    assert!(text.contains(r#""Account": "rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD", "Memos": [{"Memo": {"MemoType": "6E657875732E617474657374", "MemoData": ""#));
    // Reading the JSON back gives the same blob.
    let back = attest_xrpl::StObject::from_json(&signed.tx_json).unwrap();
    assert_eq!(hex_upper(&back.to_bytes()), signed.tx_blob);
}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}
