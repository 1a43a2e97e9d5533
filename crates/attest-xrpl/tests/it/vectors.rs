//! Every case of `xrpl.json`: memo payloads and plans (through attest-witness), the
//! transaction builder errors, classification; and each memo case signed as a witness
//! AccountSet, decoded back and verified.

use attest_verify::json::Value;
use attest_witness::{classify_engine_result, payment_to_self, plan, Intent, Validation};
use attest_xrpl::{check_signed_blob, memo_data, Keypair, Seed, TxParams, WalletSigner, WitnessKind};

use crate::xrpl_vectors;

#[test]
fn every_xrpl_vector() {
    let v = xrpl_vectors();
    let key = Keypair::from_seed(&Seed::parse("snoPBrXtMeMyMHUVTgbuqAfg1SUTb").unwrap()).unwrap();
    let signer = WalletSigner::new(
        key,
        TxParams { fee_drops: 12, sequence: 7, last_ledger_sequence: Some(99), network_id: None },
    );
    let mut n = 0;
    for case in v.get("cases").unwrap().as_array().unwrap() {
        let name = case.get("name").and_then(Value::as_str).unwrap();
        let inputs = case.get("inputs").unwrap();
        let expected = case.get("expected").unwrap();
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        if name.starts_with("memo/") {
            let intent = Intent::from_value(inputs.get("intent").unwrap(), Validation::Compat).unwrap();
            let account = s(inputs, "account").unwrap();
            match plan(&intent, &account, "1") {
                Err(e) => {
                    let want = expected.get("plan_error").and_then(|p| p.get("message")).and_then(Value::as_str);
                    assert_eq!(Some(e.to_string().as_str()), want, "{name}");
                }
                Ok(p) => {
                    assert_eq!(Some(p.memo_data_hex.clone()), s(expected, "memo_hex"), "{name}");
                    assert_eq!(Some(p.memo_digest.clone()), s(expected, "memo_digest"), "{name}");
                    for want in expected.get("plans").unwrap().as_array().unwrap() {
                        let amount = s(want, "amount_drops").unwrap();
                        let got = plan(&intent, &account, &amount).unwrap();
                        assert_eq!(Some(&got.to_value()), want.get("anchor_plan"), "{name} {amount}");
                    }
                    let signed =
                        signer.sign_tx(&attest_xrpl::witness_json(&p, WitnessKind::AccountSet).unwrap()).unwrap();
                    let (tx, hash) = check_signed_blob(&signed.tx_blob).unwrap();
                    assert_eq!(hash, signed.hash);
                    let memo: String = memo_data(&tx).unwrap().iter().map(|b| format!("{b:02x}")).collect();
                    assert_eq!(memo, p.memo_data_hex, "{name}");
                    assert!(attest_xrpl::memo_matches(&signed.tx_json, &p.memo_digest));
                }
            }
        } else if name.starts_with("tx/") {
            let r = payment_to_self(
                &s(inputs, "account").unwrap(),
                &s(inputs, "memo_data_hex").unwrap(),
                &s(inputs, "amount_drops").unwrap_or_default(),
            );
            let want = expected.get("error").and_then(|e| e.get("message")).and_then(Value::as_str).map(str::to_owned);
            match (r, want) {
                (Err(e), Some(want)) => assert_eq!(e.to_string(), want, "{name}"),
                (Ok(tx), None) => assert_eq!(Some(&tx), expected.get("tx"), "{name}"),
                (r, want) => panic!("{name}: {r:?} vs {want:?}"),
            }
        } else {
            let er = s(inputs, "engine_result");
            assert_eq!(Some(classify_engine_result(er.as_deref()).as_str().to_owned()), s(expected, "code"), "{name}");
        }
        n += 1;
    }
    assert_eq!(n, 22);
}
