//! Attestation, intent and receipt parsers (both validation modes) and attestation
//! verification on arbitrary bytes: never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    attest_witness::__fuzz::documents(data);
});
