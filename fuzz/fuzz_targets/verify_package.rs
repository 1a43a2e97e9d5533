//! Audit package verification on arbitrary JSON: never panics, and every rendering of the
//! result works and is canonicalizable.
#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "fuzz findings are panics")]

use attest_verify::verify::{self, Verification, VerifyOptions};
use attest_verify::{canonical, json};
use libfuzzer_sys::fuzz_target;

/// 2026-11-25T10:09:33Z: a fixed "now" so that runs are reproducible.
const NOW_MICROS: i64 = 1_795_601_373_000_000;

fn render(v: &Verification) {
    assert!(!v.ok() || v.reference_ok());
    for x in [v.to_flat_value(), v.to_nested_value(), v.reference.to_reference_value()] {
        canonical::to_bytes(&x).unwrap();
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = json::parse_bytes(data) else { return };
    let opts = VerifyOptions { now_micros: Some(NOW_MICROS), expect_binding: None };
    if let Ok(v) = verify::verify_package(&value, &opts) {
        render(&v);
        if let Some(pin) = value.get("integrity").and_then(|i| i.get("binding_digest")).and_then(|d| d.as_str()) {
            let pinned = VerifyOptions { expect_binding: Some(pin.to_owned()), ..opts.clone() };
            if let Ok(p) = verify::verify_package(&value, &pinned) {
                render(&p);
            }
        }
    }
});
