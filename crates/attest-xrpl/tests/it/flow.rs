//! The anchor flow against the fake rippled: success, tec, tem, ter, timeouts, lost
//! answers and resubmission without double anchoring, memo and expiry checks, exchange
//! records.

use std::time::Duration;

use attest_verify::canonical;
use attest_verify::digest::Digest;
use attest_verify::json::{Map, Value};
use attest_witness::{ReceiptStatus, XrplClient};
use attest_xrpl::{
    anchor, autofill, AccountId, AnchorOptions, AnchorOutcome, JsonRpcClient, Keypair, RpcConfig, Seed, WalletSigner,
    WitnessKind,
};

use crate::fake_rippled::{Behaviour, FakeRippled};
use crate::minimal_plan;

const ED_SEED: &str = "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r";
const GENESIS_SEED: &str = "snoPBrXtMeMyMHUVTgbuqAfg1SUTb";
const ED_ACCOUNT: &str = "rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD";
const GENESIS: &str = "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh";

struct Run {
    server: FakeRippled,
    outcome: AnchorOutcome,
    client: JsonRpcClient,
    memo_hex: String,
}

fn options() -> AnchorOptions {
    AnchorOptions {
        backoff: Duration::from_millis(20),
        poll_interval: Duration::from_millis(10),
        max_polls: 20,
        ..AnchorOptions::default()
    }
}

fn run_with(behaviour: Behaviour, seed: &str, kind: WitnessKind, fee_override: Option<u64>, timeout: Duration) -> Run {
    let key = Keypair::from_seed(&Seed::parse(seed).unwrap()).unwrap();
    let account = key.account_id().to_address();
    let server = FakeRippled::start(behaviour, &[(ED_ACCOUNT, 5), (GENESIS, 9)]);
    let mut config = RpcConfig::new(server.url.clone());
    config.timeout = timeout;
    config.record_exchanges = true;
    let mut client = JsonRpcClient::new(config);
    let mut params = autofill(&mut client, &account, 1_000).unwrap();
    if let Some(f) = fee_override {
        params.fee_drops = f;
    }
    let signer = WalletSigner::new(key, params);
    let plan = minimal_plan(&account);
    let opts = AnchorOptions { kind, ..options() };
    let outcome = anchor(&plan, &mut client, &signer, &opts, &|| "2025-01-15T12:00:00+00:00".to_owned()).unwrap();
    Run { server, outcome, client, memo_hex: plan.memo_data_hex }
}

fn run(behaviour: Behaviour) -> Run {
    run_with(behaviour, ED_SEED, WitnessKind::AccountSet, None, Duration::from_secs(5))
}

fn statuses(r: &Run) -> Vec<&'static str> {
    r.outcome.receipts.iter().map(|x| x.status().as_str()).collect()
}

fn last_error(r: &Run) -> (String, String) {
    let e = r.outcome.receipts.last().unwrap().error().unwrap();
    (e.code.clone(), e.detail.clone().unwrap_or_default())
}

fn validated() -> Behaviour {
    Behaviour { validate_after: Some(1), ..Behaviour::default() }
}

#[test]
fn success_account_set_ed25519() {
    let r = run(validated());
    assert_eq!(statuses(&r), ["SUBMITTED", "CONFIRMED"]);
    let confirmed = r.outcome.receipts.last().unwrap();
    let proof = confirmed.proof();
    assert_eq!(proof.get("tx_hash").and_then(Value::as_str), Some(r.outcome.signed.hash.as_str()));
    assert_eq!(proof.get("engine_result").and_then(Value::as_str), Some("tesSUCCESS"));
    assert_eq!(proof.get("ledger_close_time").and_then(Value::as_str), Some("2025-01-15T12:00:03Z"));
    let submitted = &r.outcome.receipts[0];
    assert_eq!(
        submitted.proof().get("key_id").and_then(Value::as_str),
        Some("ED01FA53FA5A7E77798F882ECE20B1ABC00BB358A9E55A202D0D0676BD0CE37A63")
    );
    assert_eq!(r.server.anchors_of(&r.memo_hex), 1);
    let s = r.server.state.lock().unwrap();
    assert_eq!((s.submits, s.bad_signatures), (1, 0));
    // Autofill: Sequence 5 (account_info), Fee 12 (open ledger), LastLedgerSequence 100 + 20.
    let tx = &r.outcome.signed.tx_json;
    assert_eq!(tx.get("Sequence").and_then(Value::as_i64), Some(5));
    assert_eq!(tx.get("Fee").and_then(Value::as_str), Some("12"));
    assert_eq!(tx.get("LastLedgerSequence").and_then(Value::as_i64), Some(120));
}

#[test]
fn success_payment_secp256k1() {
    let kind = WitnessKind::Payment { destination: AccountId::from_address(ED_ACCOUNT).unwrap() };
    let r = run_with(validated(), GENESIS_SEED, kind, None, Duration::from_secs(5));
    assert_eq!(statuses(&r), ["SUBMITTED", "CONFIRMED"]);
    assert_eq!(r.outcome.signed.tx_json.get("Amount").and_then(Value::as_str), Some("1"));
    assert_eq!(r.server.anchors_of(&r.memo_hex), 1);
}

#[test]
fn receipts_carry_exchange_digests_that_recompute() {
    let r = run(validated());
    let submitted = &r.outcome.receipts[0];
    let digest = submitted.evidence("xrpl.submit.exchange").unwrap();
    let ex = r.client.exchanges().iter().find(|e| e.content_digest == digest).unwrap();
    assert_eq!(ex.record.request_digest, Digest::of(&ex.request_body).to_prefixed());
    assert_eq!(ex.record.response_digest, Digest::of(&ex.response_body).to_prefixed());
    let mut m = Map::new();
    m.insert("request_digest", Value::str(ex.record.request_digest.as_str()));
    m.insert("response_digest", Value::str(ex.record.response_digest.as_str()));
    assert_eq!(canonical::digest(&Value::Object(m)).unwrap().to_prefixed(), digest);
    let text = String::from_utf8(ex.request_body.clone()).unwrap();
    assert!(text.starts_with(r#"{"payload":{"id":"#) && text.contains(r#""method":"submit""#), "{text}");
    assert!(r.outcome.receipts[1].evidence("xrpl.tx.exchange").is_some());
    // A long-running caller drains them.
    let mut client = r.client;
    let recorded = client.exchanges().len();
    assert!(recorded >= 2);
    assert_eq!(client.take_exchanges().len(), recorded);
    assert!(client.exchanges().is_empty());
}

#[test]
fn tec_is_applied_but_not_confirmed() {
    let r = run(Behaviour { apply_result: Some("tecNO_DST_INSUF_XRP"), ..validated() });
    assert_eq!(statuses(&r), ["SUBMITTED", "FAILED"]);
    assert_eq!(last_error(&r), ("REJECTED".into(), "engine_result=tecNO_DST_INSUF_XRP".into()));
    // The memo is on the ledger (a tec is applied), once.
    assert_eq!(r.server.anchors_of(&r.memo_hex), 1);
}

#[test]
fn tem_is_final_and_never_retried() {
    let r = run_with(validated(), ED_SEED, WitnessKind::AccountSet, Some(0), Duration::from_secs(5));
    assert_eq!(statuses(&r), ["FAILED"]);
    assert_eq!(last_error(&r), ("REJECTED".into(), "engine_result=temBAD_FEE; temBAD_FEE message".into()));
    assert_eq!(r.server.state.lock().unwrap().submits, 1);
    assert_eq!(r.server.anchors_of(&r.memo_hex), 0);
}

#[test]
fn ter_and_tel_are_retried_with_the_same_blob() {
    let r = run(Behaviour { refuse_first: vec!["terRETRY", "telINSUF_FEE_P"], ..validated() });
    assert_eq!(statuses(&r), ["SUBMITTED", "FAILED", "SUBMITTED", "CONFIRMED"]);
    let s = r.server.state.lock().unwrap();
    assert_eq!(s.submits, 3);
    // A lookup of the known hash before each resubmission.
    let methods: Vec<&str> = s.methods.iter().map(String::as_str).collect();
    // account_info, fee, ledger (autofill); then a lookup of the known hash before each
    // resubmission; then the confirmation polls (one not yet validated, a ledger check).
    assert_eq!(methods[3..], ["submit", "tx", "submit", "tx", "submit", "tx", "ledger", "tx"]);
    drop(s);
    assert_eq!(r.server.anchors_of(&r.memo_hex), 1);
}

#[test]
fn lost_answer_after_apply_is_found_not_resubmitted() {
    let r = run(Behaviour { drop_first: vec![true], ..validated() });
    assert_eq!(statuses(&r), ["FAILED", "CONFIRMED"]);
    let e = r.outcome.receipts[0].error().unwrap();
    assert_eq!(e.code, "BACKEND_UNAVAILABLE");
    assert!(e.detail.as_deref().unwrap().starts_with("submit failed: "));
    assert_eq!(r.server.state.lock().unwrap().submits, 1);
    assert_eq!(r.server.anchors_of(&r.memo_hex), 1);
}

#[test]
fn lost_request_is_resubmitted_once_and_anchors_once() {
    let r = run(Behaviour { drop_first: vec![false], ..validated() });
    assert_eq!(statuses(&r), ["FAILED", "SUBMITTED", "CONFIRMED"]);
    assert_eq!(r.server.state.lock().unwrap().submits, 2);
    assert_eq!(r.server.anchors_of(&r.memo_hex), 1);
}

#[test]
fn timeout_then_found_does_not_double_anchor() {
    let b = Behaviour { delay_first: vec![Duration::from_millis(800)], ..validated() };
    let r = run_with(b, ED_SEED, WitnessKind::AccountSet, None, Duration::from_millis(300));
    assert_eq!(statuses(&r), ["FAILED", "CONFIRMED"]);
    assert_eq!(r.outcome.receipts[0].error().unwrap().code, "BACKEND_UNAVAILABLE");
    assert_eq!(r.server.anchors_of(&r.memo_hex), 1);
    assert_eq!(r.server.state.lock().unwrap().submits, 1);
}

#[test]
fn resubmission_of_an_applied_blob_is_tef_and_looked_up() {
    // The first answer is lost after applying and the lookup fails over; a second submit
    // of the same blob gets tefALREADY, the flow looks the hash up and confirms it.
    let server = FakeRippled::start(validated(), &[(ED_ACCOUNT, 5)]);
    let key = Keypair::from_seed(&Seed::parse(ED_SEED).unwrap()).unwrap();
    let mut client = JsonRpcClient::new(RpcConfig::new(server.url.clone()));
    let params = autofill(&mut client, ED_ACCOUNT, 1_000).unwrap();
    let signer = WalletSigner::new(key, params);
    let plan = minimal_plan(ED_ACCOUNT);
    let blob = signer.sign_tx(&attest_xrpl::witness_json(&plan, WitnessKind::AccountSet).unwrap()).unwrap();
    assert_eq!(client.submit(&blob.tx_blob).unwrap().engine_result.as_deref(), Some("tesSUCCESS"));
    let again = client.submit(&blob.tx_blob).unwrap();
    assert_eq!(again.engine_result.as_deref(), Some("tefALREADY"));
    let out = anchor(&plan, &mut client, &signer, &options(), &|| "2025-01-15T12:00:00+00:00".to_owned()).unwrap();
    let st: Vec<_> = out.receipts.iter().map(|r| r.status()).collect();
    assert_eq!(st, [ReceiptStatus::Failed, ReceiptStatus::Confirmed]);
    assert_eq!(server.anchors_of(&plan.memo_data_hex), 1);
}

#[test]
fn a_validated_transaction_without_our_memo_is_not_confirmed() {
    let r = run(Behaviour { fake_memo: true, ..validated() });
    assert_eq!(statuses(&r), ["SUBMITTED", "FAILED"]);
    assert_eq!(last_error(&r), ("REJECTED".into(), "memo mismatch".into()));
}

#[test]
fn never_validated_expires_after_last_ledger_sequence() {
    let r = run(Behaviour { validate_after: None, ledger_step: 7, ..Behaviour::default() });
    assert_eq!(statuses(&r), ["SUBMITTED", "FAILED"]);
    let lls = r.outcome.signed.tx_json.get("LastLedgerSequence").and_then(Value::as_i64).unwrap();
    assert_eq!(last_error(&r), ("REJECTED".into(), format!("expired: not validated by LastLedgerSequence {lls}")));
}

#[test]
fn the_fake_server_checks_signatures() {
    let server = FakeRippled::start(validated(), &[(ED_ACCOUNT, 5)]);
    let key = Keypair::from_seed(&Seed::parse(ED_SEED).unwrap()).unwrap();
    let mut client = JsonRpcClient::new(RpcConfig::new(server.url.clone()));
    let signer = WalletSigner::new(key, autofill(&mut client, ED_ACCOUNT, 1_000).unwrap());
    let plan = minimal_plan(ED_ACCOUNT);
    let signed = signer.sign_tx(&attest_xrpl::witness_json(&plan, WitnessKind::AccountSet).unwrap()).unwrap();
    // Tamper with the last memo byte (before E1 F1).
    let mut blob = signed.tx_blob.clone();
    let i = blob.len() - 6;
    let c = if &blob[i..i + 1] == "0" { "1" } else { "0" };
    blob.replace_range(i..i + 1, c);
    let r = client.submit(&blob).unwrap();
    assert!(!r.accepted);
    assert_eq!(r.error_code.as_deref(), Some("SERVER_ERROR"));
    assert_eq!(r.detail.as_deref(), Some("fails local checks: Invalid signature."));
    assert_eq!(server.state.lock().unwrap().bad_signatures, 1);
}

#[test]
fn unreachable_node_is_backend_unavailable() {
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = RpcConfig::new(format!("http://127.0.0.1:{port}"));
    config.timeout = Duration::from_millis(500);
    let mut client = JsonRpcClient::new(config);
    let e = client.get_tx("00").unwrap_err();
    assert!(!e.message.is_empty());
    assert!(autofill(&mut client, ED_ACCOUNT, 1_000).is_err());
}
