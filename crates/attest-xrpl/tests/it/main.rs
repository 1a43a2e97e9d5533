//! Integration tests of attest-xrpl: the spec §9 known answers, the xrpl vectors, codec
//! properties, and the anchor flow against a fake rippled.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers and the fake server fail the test by panicking"
)]

mod fake_rippled;
mod flow;
mod known_answers;
mod properties;
mod vectors;

use attest_verify::json::{self, Value};
use attest_witness::{plan, AnchorPlan, Intent, Validation};

/// The `xrpl.json` golden vectors.
pub(crate) fn xrpl_vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors/xrpl.json");
    json::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The plan of the `memo/minimal` case for `account`.
pub(crate) fn minimal_plan(account: &str) -> AnchorPlan {
    let v = xrpl_vectors();
    let case = v
        .get("cases")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some("memo/minimal"))
        .unwrap();
    let intent = Intent::from_value(case.get("inputs").unwrap().get("intent").unwrap(), Validation::Strict).unwrap();
    plan(&intent, account, "1").unwrap()
}
