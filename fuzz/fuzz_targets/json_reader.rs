//! The JSON reader on raw bytes: never panics, and whatever it accepts has a canonical form.
#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "fuzz findings are panics")]

use attest_verify::{canonical, json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = json::parse_bytes(data) {
        // A parsed value holds no non-finite float, so both dialects can write it.
        canonical::to_bytes(&v).unwrap();
        canonical::to_string_in(&v, canonical::Dialect::Router).unwrap();
    }
    // A shallow limit exercises the depth error paths.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = json::parse_with_depth(text, 4);
    }
});
