//! `nexus-attest witness sign|anchor`: the spec §9 known answers through the binary,
//! seed handling (file or environment, never echoed), and an anchor against a small
//! fake rippled that checks the submitted signature.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers and the fake server fail the test by panicking"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use nexus_attest::verify::json::{self, Value};
use nexus_attest::xrpl::check_signed_blob;

const ED_SEED: &str = "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2r";
const GENESIS_SEED: &str = "snoPBrXtMeMyMHUVTgbuqAfg1SUTb";
const INTENT: &str = r#"{"intent_version": "0.1", "subject_type": "nexus.audit_package", "binding_digest": "sha256:e58bb2d469adf646425aac4268f5ceb6e5fd014c85430e8c06081b13362147e3"}"#;

fn scratch() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "nexus-attest-witness-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("intent.json"), INTENT).unwrap();
    dir
}

fn cli(args: &[&str], env_seed: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nexus-attest"));
    cmd.args(args).env_remove("NEXUS_ATTEST_XRPL_SEED");
    if let Some(s) = env_seed {
        cmd.env("NEXUS_ATTEST_XRPL_SEED", s);
    }
    cmd.output().unwrap()
}

fn sign_args<'a>(dir: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "witness",
        "sign",
        "--intent",
        &format!("{dir}/intent.json"),
        "--sequence",
        "1",
        "--fee",
        "12",
        "--last-ledger",
        "1000",
        "--json",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v
}

fn run(args: &[String], env_seed: Option<&str>) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    cli(&refs, env_seed)
}

fn no_secret(out: &Output, seed: &str) {
    assert!(!String::from_utf8_lossy(&out.stdout).contains(seed));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(seed));
}

#[test]
fn sign_ka3_from_a_seed_file() {
    let dir = scratch();
    std::fs::write(dir.join("seed"), format!("{ED_SEED}\n")).unwrap();
    let d = dir.to_str().unwrap();
    let out = run(&sign_args(d, &["--seed-file", &format!("{d}/seed")]), None);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    no_secret(&out, ED_SEED);
    let v = json::parse(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(
        v.get("hash").and_then(Value::as_str),
        Some("6215806C00AAE168F8FC7A9FDA2F9BFDCFCA6D1F950618D56FF8DB785412491C")
    );
    let blob = v.get("tx_blob").and_then(Value::as_str).unwrap();
    let (tx, hash) = check_signed_blob(blob).unwrap();
    assert_eq!(hash, "6215806C00AAE168F8FC7A9FDA2F9BFDCFCA6D1F950618D56FF8DB785412491C");
    assert_eq!(Some(&tx.to_json()), v.get("tx_json"));
    assert_eq!(
        v.get("tx_json").unwrap().get("Account").and_then(Value::as_str),
        Some("rLUEXYuLiQptky37CqLcm9USQpPiz5rkpD")
    );
}

#[test]
fn sign_ka4_and_ka5_from_the_environment() {
    let dir = scratch();
    let d = dir.to_str().unwrap();
    let out = run(&sign_args(d, &[]), Some(GENESIS_SEED));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    no_secret(&out, GENESIS_SEED);
    let v = json::parse(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(
        v.get("hash").and_then(Value::as_str),
        Some("F9862F437446F8AC29B420F00AA5E55304A332BA0179C0B9BC236CC123F5A37E")
    );

    let mut args = sign_args(d, &["--payment-to", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"]);
    args[5] = "2".into(); // --sequence 2
    let out = run(&args, Some(ED_SEED));
    let v = json::parse(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(
        v.get("hash").and_then(Value::as_str),
        Some("63E27302480D4539D6527D9F163C8B90BBCC6CE693A958FBE261C3C7385241A3")
    );
}

#[test]
fn seed_problems_are_usage_errors_without_the_seed() {
    let dir = scratch();
    let d = dir.to_str().unwrap();
    let out = run(&sign_args(d, &[]), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NEXUS_ATTEST_XRPL_SEED"));
    let bad = "sEdSKaCy2JT7JaM7v95H9SxkhP9wS2s";
    let out = run(&sign_args(d, &[]), Some(bad));
    assert_eq!(out.status.code(), Some(2));
    no_secret(&out, bad);
    let out = run(&sign_args(d, &["--key-type", "secp256k1"]), Some(ED_SEED));
    assert_eq!(out.status.code(), Some(2));
    // A plain family seed may derive an Ed25519 key (rippled's key_type).
    let out = run(&sign_args(d, &["--key-type", "ed25519"]), Some("sp5fghtJtpUorTwvof1NpDXAzNwf5"));
    assert_eq!(out.status.code(), Some(0));
    // The seed is never accepted as an argument.
    let out = cli(&["witness", "sign", "--seed", ED_SEED], None);
    assert_eq!(out.status.code(), Some(2));
}

/// A one-account fake rippled: answers autofill calls, checks each submitted blob's
/// signature, applies it once, and reports it validated with its memo.
fn fake_rippled() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let applied: Arc<Mutex<Vec<String>>> = Arc::default();
    let state = Arc::clone(&applied);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end().to_ascii_lowercase();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let req = json::parse_bytes(&body).unwrap();
            let params = &req.get("params").unwrap().as_array().unwrap()[0];
            let result = match req.get("method").and_then(Value::as_str).unwrap() {
                "account_info" => r#"{"account_data":{"Sequence":5},"status":"success"}"#.to_owned(),
                "fee" => r#"{"drops":{"base_fee":"10","open_ledger_fee":"10"},"status":"success"}"#.to_owned(),
                "ledger" => r#"{"ledger_index":100,"validated":true,"status":"success"}"#.to_owned(),
                "submit" => match check_signed_blob(params.get("tx_blob").and_then(Value::as_str).unwrap()) {
                    Ok((tx, hash)) => {
                        let mut a = state.lock().unwrap();
                        if !a.iter().any(|x| x.starts_with(&hash)) {
                            a.push(format!(
                                "{hash} {}",
                                nexus_attest::verify::canonical::to_display_string(&tx.to_json(), None)
                            ));
                        }
                        format!(
                            r#"{{"engine_result":"tesSUCCESS","accepted":true,"tx_json":{{"hash":"{hash}"}},"status":"success"}}"#
                        )
                    }
                    Err(_) => r#"{"status":"error","error":"invalidTransaction"}"#.to_owned(),
                },
                _ => {
                    let hash = params.get("transaction").and_then(Value::as_str).unwrap();
                    match state.lock().unwrap().iter().find(|x| x.starts_with(hash)) {
                        Some(x) => format!(
                            r#"{{"hash":"{hash}","tx_json":{},"meta":{{"TransactionResult":"tesSUCCESS"}},"validated":true,"ledger_index":101,"close_time_iso":"2025-01-15T12:00:03Z","status":"success"}}"#,
                            &x[65..]
                        ),
                        None => r#"{"status":"error","error":"txnNotFound"}"#.to_owned(),
                    }
                }
            };
            let body = format!(r#"{{"result":{result}}}"#);
            let _ =
                write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    (url, applied)
}

#[test]
fn anchor_against_a_fake_rippled() {
    let (url, applied) = fake_rippled();
    let dir = scratch();
    let d = dir.to_str().unwrap();
    let intent = format!("{d}/intent.json");
    let out = cli(
        &["witness", "anchor", "--intent", &intent, "--rpc", &url, "--poll-interval-ms", "10", "--json"],
        Some(ED_SEED),
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    no_secret(&out, ED_SEED);
    let v = json::parse(&String::from_utf8(out.stdout).unwrap()).unwrap();
    assert_eq!(v.get("status").and_then(Value::as_str), Some("CONFIRMED"));
    let receipts = v.get("receipts").and_then(Value::as_array).unwrap();
    assert_eq!(receipts.len(), 2);
    assert_eq!(receipts[1].get("proof").unwrap().get("engine_result").and_then(Value::as_str), Some("tesSUCCESS"));
    assert_eq!(applied.lock().unwrap().len(), 1);
}

#[test]
fn queue_run_anchors_once_and_never_twice() {
    let (url, applied) = fake_rippled();
    let dir = scratch();
    let d = dir.to_str().unwrap();
    let db = format!("{d}/q.db");
    let intent = format!("{d}/intent.json");
    let add = cli(&["--db", &db, "queue", "add", &intent], None);
    assert_eq!(add.status.code(), Some(0), "{}", String::from_utf8_lossy(&add.stderr));
    let id = String::from_utf8(add.stdout).unwrap().trim().to_owned();

    // Without a seed: a usage error, and the entry is untouched.
    let no_seed = cli(&["--db", &db, "queue", "run", "--rpc", &url, "--until-idle"], None);
    assert_eq!(no_seed.status.code(), Some(2));

    let seed_file = format!("{d}/seed");
    std::fs::write(&seed_file, ED_SEED).unwrap();
    let run =
        cli(&["--db", &db, "--json", "queue", "run", "--rpc", &url, "--seed-file", &seed_file, "--until-idle"], None);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    no_secret(&run, ED_SEED);
    let text = String::from_utf8(run.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let cycle = json::parse(lines[0]).unwrap();
    assert_eq!(cycle.get("processed"), Some(&Value::Bool(true)));
    assert_eq!(cycle.get("queue_id").and_then(Value::as_str), Some(id.as_str()));
    let receipts = cycle.get("receipts").and_then(Value::as_array).unwrap();
    assert_eq!(receipts.last().unwrap().get("status").and_then(Value::as_str), Some("CONFIRMED"));
    assert_eq!(applied.lock().unwrap().len(), 1);

    let status = cli(&["--db", &db, "--json", "queue", "status", &id], None);
    let v = json::parse(&String::from_utf8(status.stdout).unwrap()).unwrap();
    assert_eq!(v.get("status").and_then(Value::as_str), Some("CONFIRMED"));

    // A second run finds nothing due and submits nothing.
    let again = cli(&["--db", &db, "queue", "run", "--rpc", &url, "--until-idle"], Some(ED_SEED));
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
    assert_eq!(applied.lock().unwrap().len(), 1);

    let narrative = cli(&["--db", &db, "narrative", &id], None);
    assert_eq!(narrative.status.code(), Some(0), "{}", String::from_utf8_lossy(&narrative.stdout));
    // The exchanges behind the receipts were kept in the database, bodies included.
    let report = cli(&["--db", &db, "--json", "narrative", &id], None);
    let report = json::parse(&String::from_utf8(report.stdout).unwrap()).unwrap();
    let receipts = report.get("receipts").and_then(Value::as_array).unwrap();
    let exchanges: Vec<&Value> =
        receipts.iter().filter_map(|r| r.get("exchanges").and_then(Value::as_array)).flatten().collect();
    assert!(!exchanges.is_empty(), "{}", nexus_attest::verify::canonical::to_display_string(&report, None));
    for ex in exchanges {
        assert_eq!(ex.get("record_found"), Some(&Value::Bool(true)));
        assert_eq!(ex.get("request_body_available"), Some(&Value::Bool(true)));
        assert_eq!(ex.get("response_body_available"), Some(&Value::Bool(true)));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
