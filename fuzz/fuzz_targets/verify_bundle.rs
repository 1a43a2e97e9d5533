//! Decision bundle verification on arbitrary JSON: never panics, and every rendering of
//! the result works and is canonicalizable.
#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "fuzz findings are panics")]

use attest_verify::verify::{self, VerifyOptions};
use attest_verify::{canonical, json};
use libfuzzer_sys::fuzz_target;

/// 2026-11-25T10:09:33Z: a fixed "now" so that runs are reproducible.
const NOW_MICROS: i64 = 1_795_601_373_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = json::parse_bytes(data) else { return };
    let opts = VerifyOptions { now_micros: Some(NOW_MICROS), expect_binding: None };
    if let Ok(v) = verify::verify_bundle(&value, &opts) {
        assert!(!v.ok() || v.reference_ok());
        for x in [v.to_flat_value(), v.to_nested_value(), v.reference.to_reference_value()] {
            canonical::to_bytes(&x).unwrap();
        }
    }
    // A package's control bundle is a bundle too.
    if let Some(cb) = value.get("control_bundle") {
        if let Ok(v) = verify::verify_bundle(cb, &opts) {
            canonical::to_bytes(&v.to_flat_value()).unwrap();
        }
    }
});
