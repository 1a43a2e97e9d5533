//! Canonical JSON is a fixed point: for any accepted input, its canonical text (in either
//! dialect) parses back to the same value and re-canonicalizes to the same bytes, the two
//! dialects agree on the value, and hashing while writing equals hashing the buffer.
#![no_main]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "fuzz findings are panics")]

use attest_verify::canonical::{self, Dialect, HashSink};
use attest_verify::digest::Digest;
use attest_verify::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = json::parse_bytes(data) else { return };
    let attest = canonical::to_string_in(&v, Dialect::Attest).unwrap();
    let router = canonical::to_string_in(&v, Dialect::Router).unwrap();
    assert!(router.bytes().all(|b| (0x20..0x7F).contains(&b)), "router dialect is not printable ascii: {router}");

    for (dialect, text) in [(Dialect::Attest, &attest), (Dialect::Router, &router)] {
        let reparsed = json::parse(text).unwrap();
        let again = canonical::to_string_in(&reparsed, dialect).unwrap();
        assert_eq!(&again, text, "{dialect:?} canonical text is not a fixed point");
        // Both dialects describe the same value.
        assert_eq!(canonical::to_string(&reparsed).unwrap(), attest);

        let mut sink = HashSink::new();
        canonical::write(&v, dialect, &mut sink).unwrap();
        assert_eq!(sink.len(), text.len() as u64);
        assert_eq!(sink.finish(), Digest::of(text.as_bytes()));
    }
});
