//! Hooks for fuzz targets and property tests (not a stable API): each runs a parser
//! of this crate over arbitrary input and must never panic.

use attest_verify::json::{self, Value};

use crate::attestation::{verify_attestation, Attestation};
use crate::intent::Intent;
use crate::keys::SigningKey;
use crate::pattern::Validation;
use crate::receipt::Receipt;

/// Parse arbitrary bytes as JSON and run every document parser over the value.
pub fn documents(data: &[u8]) {
    if let Ok(v) = json::parse_bytes(data) {
        value(&v);
    }
}

/// Run every document parser (both modes, and verification of whatever parses as an
/// attestation) over `v`.
pub fn value(v: &Value) {
    attestation(v);
    for mode in [Validation::Strict, Validation::Compat] {
        if let Ok(intent) = Intent::from_value(v, mode) {
            let _ = intent.digest();
            let _ = intent.to_value();
        }
        if let Ok(receipt) = Receipt::from_value(v, mode) {
            let _ = receipt.digest();
            let _ = receipt.to_value();
        }
    }
}

/// Parse `v` as an attestation document (reference and strict parse) and verify it
/// with a fixed key.
pub fn attestation(v: &Value) {
    let key = SigningKey::from_seed(&[7u8; 32]).verifying_key();
    if let Ok(a) = Attestation::from_value(v) {
        let verification = verify_attestation(&a, &key);
        let _ = verification.reference.to_reference_value();
        let _ = a.to_value();
    }
    let _ = Attestation::from_value_strict(v);
}
