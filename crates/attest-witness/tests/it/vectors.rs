//! The golden vectors of the witness kinds, through the same runner xtask uses.

use std::path::PathBuf;

use attest_verify::json::{self, Value};
use attest_witness::__vectors::{run_file, KINDS};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

fn load(kind: &str) -> Option<Value> {
    let text = std::fs::read_to_string(vectors_dir().join(format!("{kind}.json"))).ok()?;
    Some(json::parse(&text).expect("vector file is JSON"))
}

fn run(kind: &str) {
    let Some(doc) = load(kind) else {
        eprintln!("skipping {kind}: no vector file under {}", vectors_dir().display());
        return;
    };
    let intents = load("attestation_intents");
    let report = run_file(&doc, intents.as_ref()).expect("a witness kind");
    let (passed, skipped, failed) = (report.passed, report.skipped, report.failed);
    for (name, why) in &skipped {
        eprintln!("{kind}: skipped {name}: {why}");
    }
    assert!(failed.is_empty(), "{kind}: {} failed: {failed:#?}", failed.len());
    assert!(passed > 0, "{kind}: nothing passed");
    assert!(skipped.iter().all(|(_, why)| !why.is_empty()));
    eprintln!("{kind}: {passed} passed, {} skipped", skipped.len());
}

#[test]
fn attestations() {
    run("attestations");
}

#[test]
fn attestation_intents() {
    run("attestation_intents");
}

#[test]
fn attestation_receipts() {
    run("attestation_receipts");
}

#[test]
fn narratives() {
    run("narratives");
}

#[test]
fn xrpl() {
    run("xrpl");
}

#[test]
fn every_kind_is_covered() {
    assert_eq!(KINDS, ["attestations", "attestation_intents", "attestation_receipts", "narratives", "xrpl"]);
}
