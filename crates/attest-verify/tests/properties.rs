//! Property tests: the JSON reader, the canonical writer (both dialects), Python float
//! repr, streaming SHA-256, and verification of packages and bundles under mutation.
//!
//! Values are generated as a small tree type `J` that the tests can render three ways:
//! through the crate (`to_value` + `canonical`), through an independent oracle of the
//! canonical rules written here from `shared/vectors/README.md`, and through a
//! deliberately non-canonical printer (shuffled keys, whitespace, escapes, alternative
//! number spellings, repeated keys).
//!
//! The package mutation tests load the real audit package of case
//! `reference_mode_default` from `shared/vectors/audit_packages.json`; when the vectors
//! directory is missing they print a note and pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;

use attest_verify::canonical::{self, Dialect, HashSink, Sink};
use attest_verify::digest::Digest;
use attest_verify::json::{self, Map, Number, Value};
use attest_verify::verify::{self, Verification, VerifyOptions};
use attest_verify::{ParsedBundle, ParsedPackage};
use proptest::prelude::*;
use proptest::sample::select;
use sha2::Digest as _;

// ---------------------------------------------------------------------------------------
// Generated values
// ---------------------------------------------------------------------------------------

/// A generated JSON value. Object keys are unique; integers are canonical digit strings
/// (no leading zero, never `-0`); floats are finite.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Int(String),
    Float(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// Characters that exercise every escaping rule and the sorting of keys.
const SPECIAL_CHARS: &[char] = &[
    '\0',
    '\u{1}',
    '\u{7}',
    '\u{8}',
    '\t',
    '\n',
    '\u{b}',
    '\u{c}',
    '\r',
    '\u{1b}',
    '\u{1f}',
    ' ',
    '"',
    '\\',
    '/',
    '\u{7f}',
    '\u{80}',
    '\u{85}',
    '\u{9f}',
    '\u{a0}',
    'é',
    'ÿ',
    '\u{2028}',
    '\u{2029}',
    '\u{d7ff}',
    '\u{e000}',
    '\u{feff}',
    '\u{fffd}',
    '\u{ffff}',
    '\u{10000}',
    '\u{1f511}',
    '\u{1f600}',
    '\u{10ffff}',
];

/// Short keys that collide in interesting ways under the different orders (code point vs
/// UTF-16 vs case-insensitive).
const KEYS: &[&str] = &[
    "",
    "a",
    "A",
    "b",
    "aa",
    "a\u{0}",
    "ab",
    "B",
    "é",
    "e\u{301}",
    "\u{ff61}",
    "\u{e000}",
    "\u{1f600}",
    "\u{10ffff}",
    "~",
    "\u{7f}",
    "z",
];

fn arb_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::char::range(' ', '~'),
        2 => select(SPECIAL_CHARS),
        2 => any::<char>(),
    ]
}

fn arb_string() -> BoxedStrategy<String> {
    proptest::collection::vec(arb_char(), 0..12).prop_map(|v| v.into_iter().collect()).boxed()
}

/// Strings of U+0000–U+007E only (ASCII without DEL).
fn ascii_string() -> BoxedStrategy<String> {
    proptest::collection::vec(
        prop_oneof![3 => proptest::char::range(' ', '~'), 1 => proptest::char::range('\0', '\u{1f}')],
        0..12,
    )
    .prop_map(|v| v.into_iter().collect())
    .boxed()
}

fn arb_key(strings: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![2 => select(KEYS).prop_map(str::to_owned), 3 => strings].boxed()
}

fn ascii_key() -> BoxedStrategy<String> {
    let ascii: Vec<&str> = KEYS.iter().copied().filter(|k| k.chars().all(|c| c < '\u{7f}')).collect();
    prop_oneof![2 => select(ascii).prop_map(str::to_owned), 3 => ascii_string()].boxed()
}

fn arb_int() -> impl Strategy<Value = String> {
    prop_oneof![
        (-20i64..20).prop_map(|i| i.to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|u| u.to_string()),
        select(vec![
            i64::MIN.to_string(),
            i64::MAX.to_string(),
            "9223372036854775808".to_owned(),
            "-9223372036854775809".to_owned(),
            u64::MAX.to_string(),
            "18446744073709551616".to_owned(),
            "100000000000000000000000000000000000000000".to_owned(),
        ]),
        (any::<bool>(), "[1-9][0-9]{18,60}").prop_map(|(neg, d)| if neg { format!("-{d}") } else { d }),
    ]
}

const SPECIAL_FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.1,
    0.5,
    2.5,
    100.0,
    1e15,
    1e16,
    9_999_999_999_999_998.0,
    123_456_789.125,
    1e21,
    1e22,
    1e23,
    1e-4,
    1e-5,
    0.000_123_45,
    1.5e-7,
    5e-324,
    2.225_073_858_507_201e-308,
    f64::MIN_POSITIVE,
    f64::MAX,
    f64::MIN,
    f64::EPSILON,
    9_007_199_254_740_993.0,
];

fn arb_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        any::<u64>().prop_map(f64::from_bits),
        select(SPECIAL_FLOATS),
        (-1_000_000i64..1_000_000).prop_map(|i| i as f64 / 8.0),
        (-40i32..40, 1u32..10).prop_map(|(e, d)| f64::from(d) * 10f64.powi(e)),
    ]
    .prop_filter("finite", |f| f.is_finite())
}

fn dedup(kv: Vec<(String, J)>) -> Vec<(String, J)> {
    let mut out: Vec<(String, J)> = Vec::with_capacity(kv.len());
    for (k, v) in kv {
        if !out.iter().any(|(k2, _)| *k2 == k) {
            out.push((k, v));
        }
    }
    out
}

/// Arbitrary values: nesting up to depth 5, strings from `strings`, keys from `keys`,
/// floats when `floats`.
fn arb_json_with(strings: BoxedStrategy<String>, keys: BoxedStrategy<String>, floats: bool) -> BoxedStrategy<J> {
    let mut leaves: Vec<(u32, BoxedStrategy<J>)> = vec![
        (1, Just(J::Null).boxed()),
        (1, any::<bool>().prop_map(J::Bool).boxed()),
        (3, arb_int().prop_map(J::Int).boxed()),
        (4, strings.clone().prop_map(J::Str).boxed()),
    ];
    if floats {
        leaves.push((3, arb_float().prop_map(J::Float).boxed()));
    }
    let leaf = proptest::strategy::Union::new_weighted(leaves).boxed();
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(J::Arr),
            proptest::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| J::Obj(dedup(kv))),
        ]
    })
    .boxed()
}

fn arb_json() -> BoxedStrategy<J> {
    arb_json_with(arb_string(), arb_key(arb_string()), true)
}

fn arb_scalar() -> BoxedStrategy<J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        arb_int().prop_map(J::Int),
        arb_float().prop_map(J::Float),
        arb_string().prop_map(J::Str),
        select(vec![
            "sha256:0000000000000000000000000000000000000000000000000000000000000000".to_owned(),
            "2026-11-24T10:09:33.230703+00:00".to_owned(),
            "2026-11-24T10:09:33".to_owned(),
            "APPROVAL_GRANTED".to_owned(),
            "EXECUTION_COMPLETED".to_owned(),
            "embedded".to_owned(),
            "reference".to_owned(),
            "apply".to_owned(),
        ])
        .prop_map(J::Str),
    ]
    .boxed()
}

fn to_value(j: &J) -> Value {
    match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Int(s) => Value::Number(Number::from_integer_text(s).unwrap()),
        J::Float(f) => Value::Number(Number::from_f64(*f)),
        J::Str(s) => Value::String(s.clone()),
        J::Arr(items) => Value::Array(items.iter().map(to_value).collect()),
        J::Obj(kv) => Value::Object(kv.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
    }
}

fn has_float(j: &J) -> bool {
    match j {
        J::Float(_) => true,
        J::Arr(items) => items.iter().any(has_float),
        J::Obj(kv) => kv.iter().any(|(_, v)| has_float(v)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// The oracle: canonical JSON written from the rules in shared/vectors/README.md
// ---------------------------------------------------------------------------------------

fn oracle_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Canonical text of `j`. Floats use the crate's `python_float_repr`, which is checked on
/// its own against the Python rules below.
fn oracle(j: &J, out: &mut String) {
    match j {
        J::Null => out.push_str("null"),
        J::Bool(true) => out.push_str("true"),
        J::Bool(false) => out.push_str("false"),
        J::Int(s) => out.push_str(s),
        J::Float(f) => out.push_str(&canonical::python_float_repr(*f)),
        J::Str(s) => oracle_str(s, out),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                oracle(item, out);
            }
            out.push(']');
        }
        J::Obj(kv) => {
            let mut sorted: Vec<&(String, J)> = kv.iter().collect();
            // Code point order, compared char by char.
            sorted.sort_by(|a, b| a.0.chars().cmp(b.0.chars()));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                oracle_str(k, out);
                out.push(':');
                oracle(v, out);
            }
            out.push('}');
        }
    }
}

fn oracle_text(j: &J) -> String {
    let mut s = String::new();
    oracle(j, &mut s);
    s
}

// ---------------------------------------------------------------------------------------
// A non-canonical printer
// ---------------------------------------------------------------------------------------

/// xorshift64*: the printer's choices, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Printer {
    rng: Rng,
    /// Insert repeated keys (an earlier entry with a junk value that the real one
    /// overrides) – off for printers whose output must also be read by other parsers that
    /// differ there.
    duplicates: bool,
}

impl Printer {
    fn ws(&mut self, out: &mut String) {
        if self.rng.chance(40) {
            for _ in 0..=self.rng.below(3) {
                out.push([' ', '\t', '\n', '\r'][self.rng.below(4) as usize]);
            }
        }
    }

    fn hex4(&mut self, unit: u32, out: &mut String) {
        out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            let d = char::from_digit((unit >> shift) & 0xF, 16).unwrap();
            out.push(if self.rng.chance(50) { d.to_ascii_uppercase() } else { d });
        }
    }

    fn string(&mut self, s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            let cp = c as u32;
            let must = c == '"' || c == '\\' || cp < 0x20;
            let short = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '/' => Some("\\/"),
                '\u{8}' => Some("\\b"),
                '\u{c}' => Some("\\f"),
                '\n' => Some("\\n"),
                '\r' => Some("\\r"),
                '\t' => Some("\\t"),
                _ => None,
            };
            if !must && !self.rng.chance(25) {
                out.push(c);
            } else if let Some(e) = short.filter(|_| self.rng.chance(60)) {
                out.push_str(e);
            } else if cp >= 0x10000 {
                let v = cp - 0x10000;
                self.hex4(0xD800 + (v >> 10), out);
                self.hex4(0xDC00 + (v & 0x3FF), out);
            } else {
                self.hex4(cp, out);
            }
        }
        out.push('"');
    }

    /// Another exact spelling of the same decimal value (so the same binary64 value).
    fn float(&mut self, f: f64, out: &mut String) {
        let sci = format!("{f:e}"); // shortest round-trip digits: `-d.ddde-X`
        let (mant, exp) = sci.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        let (neg, mant) = match mant.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mant),
        };
        let mut digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        let zero = digits == "0";
        if !zero {
            for _ in 0..self.rng.below(3) {
                digits.push('0');
            }
        }
        let n = digits.len() as i32;
        if neg {
            out.push('-');
        }
        let mut style = self.rng.below(3);
        if style == 2 && !(-40..40).contains(&exp) {
            style = 0;
        }
        let exponent = |p: &mut Printer, e: i32, out: &mut String| {
            out.push(if p.rng.chance(50) { 'e' } else { 'E' });
            if e < 0 {
                out.push('-');
            } else if p.rng.chance(50) {
                out.push('+');
            }
            for _ in 0..p.rng.below(3) {
                out.push('0');
            }
            let _ = write!(out, "{}", e.unsigned_abs());
        };
        match style {
            0 => {
                // d.ddd e E
                out.push_str(&digits[..1]);
                if n > 1 {
                    out.push('.');
                    out.push_str(&digits[1..]);
                } else if self.rng.chance(50) {
                    out.push_str(".0");
                }
                exponent(self, exp, out);
            }
            1 => {
                // integer mantissa with exponent
                out.push_str(&digits);
                exponent(self, exp - (n - 1), out);
            }
            _ => {
                // positional
                let point = exp + 1;
                if point <= 0 {
                    out.push_str("0.");
                    for _ in 0..-point {
                        out.push('0');
                    }
                    out.push_str(&digits);
                } else if point >= n {
                    out.push_str(&digits);
                    for _ in 0..point - n {
                        out.push('0');
                    }
                    out.push_str(".0");
                } else {
                    out.push_str(&digits[..point as usize]);
                    out.push('.');
                    out.push_str(&digits[point as usize..]);
                }
            }
        }
    }

    fn junk(&mut self) -> &'static str {
        ["null", "0", "\"dup\"", "[1,{\"x\":2}]", "{}", "1.5e3"][self.rng.below(6) as usize]
    }

    fn value(&mut self, j: &J, out: &mut String) {
        match j {
            J::Null => out.push_str("null"),
            J::Bool(true) => out.push_str("true"),
            J::Bool(false) => out.push_str("false"),
            J::Int(s) => out.push_str(s),
            J::Float(f) => self.float(*f, out),
            J::Str(s) => self.string(s, out),
            J::Arr(items) => {
                out.push('[');
                self.ws(out);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.ws(out);
                        out.push(',');
                        self.ws(out);
                    }
                    self.value(item, out);
                }
                self.ws(out);
                out.push(']');
            }
            J::Obj(kv) => {
                let mut order: Vec<usize> = (0..kv.len()).collect();
                for i in (1..order.len()).rev() {
                    let j = self.rng.below(i as u64 + 1) as usize;
                    order.swap(i, j);
                }
                out.push('{');
                self.ws(out);
                let mut first = true;
                for i in order {
                    let (k, v) = &kv[i];
                    let dup = self.duplicates && self.rng.chance(15);
                    let entries = if dup { 2 } else { 1 };
                    for e in 0..entries {
                        if !first {
                            self.ws(out);
                            out.push(',');
                            self.ws(out);
                        }
                        first = false;
                        self.string(k, out);
                        self.ws(out);
                        out.push(':');
                        self.ws(out);
                        if dup && e == 0 {
                            let junk = self.junk();
                            out.push_str(junk);
                        } else {
                            self.value(v, out);
                        }
                    }
                }
                self.ws(out);
                out.push('}');
            }
        }
    }
}

fn render(j: &J, seed: u64, duplicates: bool) -> String {
    let mut p = Printer { rng: Rng::new(seed), duplicates };
    let mut out = String::new();
    p.ws(&mut out);
    p.value(j, &mut out);
    p.ws(&mut out);
    out
}

// ---------------------------------------------------------------------------------------
// Canonical JSON properties
// ---------------------------------------------------------------------------------------

fn config(cases: u32) -> ProptestConfig {
    // No regression files: a failure prints its minimal input.
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(512))]

    /// parse → canonical → parse → canonical is a fixed point, in both dialects, and the
    /// first canonical text is the oracle's.
    #[test]
    fn canonical_roundtrip_is_stable(j in arb_json()) {
        let v = to_value(&j);
        let first = canonical::to_string(&v).unwrap();
        prop_assert_eq!(&first, &oracle_text(&j));
        let reparsed = json::parse(&first).unwrap();
        let second = canonical::to_string(&reparsed).unwrap();
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(canonical::to_bytes(&reparsed).unwrap(), first.as_bytes());

        let r1 = canonical::to_string_in(&v, Dialect::Router).unwrap();
        let r2 = canonical::to_string_in(&json::parse(&r1).unwrap(), Dialect::Router).unwrap();
        prop_assert_eq!(r1, r2);
    }

    /// Key order, whitespace, escapes, number spellings and repeated keys of the input do
    /// not change the canonical text.
    #[test]
    fn canonical_ignores_representation(j in arb_json(), seed in any::<u64>()) {
        let text = render(&j, seed, true);
        let parsed = json::parse(&text);
        prop_assert!(parsed.is_ok(), "printer output refused: {:?}\n{}", parsed.err(), text);
        let got = canonical::to_string(&parsed.unwrap()).unwrap();
        prop_assert_eq!(got, oracle_text(&j), "input: {}", text);
    }

    /// The router dialect is printable ASCII, reads back as the same value, and equals the
    /// attest dialect when every string is ASCII without DEL.
    #[test]
    fn router_dialect_is_ascii_and_equivalent(j in arb_json()) {
        let v = to_value(&j);
        let attest = canonical::to_string(&v).unwrap();
        let router = canonical::to_string_in(&v, Dialect::Router).unwrap();
        prop_assert!(router.bytes().all(|b| (0x20..0x7F).contains(&b)), "not printable ascii: {}", router);
        let from_router = json::parse(&router).unwrap();
        prop_assert_eq!(&from_router, &json::parse(&attest).unwrap());
        prop_assert_eq!(canonical::to_string(&from_router).unwrap(), attest);
    }

    #[test]
    fn router_equals_attest_for_ascii(j in arb_json_with(ascii_string(), ascii_key(), true)) {
        let v = to_value(&j);
        prop_assert_eq!(
            canonical::to_string_in(&v, Dialect::Router).unwrap(),
            canonical::to_string(&v).unwrap()
        );
    }

    /// Without floats, serde_json (arbitrary precision, keys sorted recursively) reading the
    /// same non-canonical text writes exactly our canonical text: same escaping, same
    /// integers, same last-wins rule for repeated keys.
    #[test]
    fn serde_json_agrees_without_floats(j in arb_json_with(arb_string(), arb_key(arb_string()), false), seed in any::<u64>()) {
        prop_assume!(!has_float(&j));
        let text = render(&j, seed, true);
        let ours = canonical::to_string(&json::parse(&text).unwrap()).unwrap();
        let mut theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        sort_serde(&mut theirs);
        prop_assert_eq!(ours, serde_json::to_string(&theirs).unwrap(), "input: {}", text);
    }

    /// Streaming the canonical bytes into a HashSink equals hashing the buffer, and the
    /// crate's SHA-256 equals the sha2 crate's, also across the sink's 16 KiB buffer.
    #[test]
    fn hash_sink_equals_buffered_digest(j in arb_json(), repeat in 0usize..160) {
        let v = Value::Array(vec![to_value(&j); repeat]);
        for dialect in [Dialect::Attest, Dialect::Router] {
            let bytes = canonical::to_string_in(&v, dialect).unwrap().into_bytes();
            let mut sink = HashSink::new();
            canonical::write(&v, dialect, &mut sink).unwrap();
            prop_assert_eq!(sink.len(), bytes.len() as u64);
            let streamed = sink.finish();
            prop_assert_eq!(streamed, Digest::of(&bytes));
            prop_assert_eq!(streamed, canonical::digest_in(&v, dialect).unwrap());
            prop_assert_eq!(streamed.as_bytes().to_vec(), sha2::Sha256::digest(&bytes).to_vec());
        }
    }

    #[test]
    fn hash_sink_chunking(chunks in proptest::collection::vec(
        (prop_oneof![0usize..70, 16_300usize..16_500, 20_000usize..40_000], any::<u8>()), 0..12)
    ) {
        let mut sink = HashSink::new();
        let mut all = Vec::new();
        for (len, byte) in &chunks {
            let chunk = vec![*byte; *len];
            sink.put(&chunk);
            all.extend_from_slice(&chunk);
        }
        prop_assert_eq!(sink.is_empty(), all.is_empty());
        let d = sink.finish();
        prop_assert_eq!(d, Digest::of(&all));
        prop_assert_eq!(d.as_bytes().to_vec(), sha2::Sha256::digest(&all).to_vec());
    }
}

fn sort_serde(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Array(items) => items.iter_mut().for_each(sort_serde),
        serde_json::Value::Object(m) => {
            m.sort_keys();
            m.values_mut().for_each(sort_serde);
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// Python float repr
// ---------------------------------------------------------------------------------------

/// `(negative, significant digits without leading/trailing zeros, E)` of a decimal
/// literal, with value = d.ddd × 10^E; zero gives `("0", 0)`.
fn decompose(s: &str) -> (bool, String, i32) {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().unwrap()),
        None => (s, 0),
    };
    let (int_part, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let all = format!("{int_part}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all[lead..].trim_end_matches('0');
    if digits.is_empty() {
        return (neg, "0".to_owned(), 0);
    }
    (neg, digits.to_owned(), int_part.len() as i32 - lead as i32 - 1 + exp)
}

fn check_python_repr(f: f64) -> Result<(), TestCaseError> {
    let r = canonical::python_float_repr(f);
    let back: f64 = r.parse().map_err(|e| TestCaseError::fail(format!("{r:?} does not parse: {e}")))?;
    prop_assert_eq!(back.to_bits(), f.to_bits(), "{} reads back as {:e}, not {:e}", r, back, f);

    if f == 0.0 {
        prop_assert_eq!(r.as_str(), if f.is_sign_negative() { "-0.0" } else { "0.0" });
        return Ok(());
    }
    let (neg, digits, e) = decompose(&r);
    prop_assert_eq!(neg, f.is_sign_negative());
    // Shortest round trip, nearest to f, ties to even (what Python's repr does): the same
    // digits and exponent as ryu (serde_json's printer) and as the correctly rounded
    // (half-even) `{:.*e}` at that length, and no string with one digit fewer reads back
    // as f. (Rust's shortest `{:e}` rounds exact ties up: it is not an oracle here.)
    let ryu = serde_json::to_string(&f).unwrap();
    prop_assert_eq!(decompose(&ryu), (neg, digits.clone(), e), "ryu {} vs {}", ryu, r);
    let rounded = format!("{:.*e}", digits.len() - 1, f);
    prop_assert_eq!(decompose(&rounded), (neg, digits.clone(), e), "{} vs {}", rounded, r);
    if digits.len() > 1 {
        let shorter = format!("{:.*e}", digits.len() - 2, f);
        prop_assert_ne!(shorter.parse::<f64>().unwrap().to_bits(), f.to_bits(), "{} is shorter than {}", shorter, r);
    }

    let body = r.strip_prefix('-').unwrap_or(&r);
    if !(-4..16).contains(&e) {
        // d[.ddd]e±XX
        let (mant, exp) = body.split_once('e').ok_or_else(|| TestCaseError::fail(format!("{r}: no exponent")))?;
        let (lead, frac) = mant.split_once('.').unwrap_or((mant, ""));
        prop_assert!(lead.len() == 1 && lead != "0" && lead.bytes().all(|b| b.is_ascii_digit()), "{}", r);
        prop_assert!(!mant.contains('.') || (!frac.is_empty() && !frac.ends_with('0')), "{}", r);
        prop_assert!(frac.bytes().all(|b| b.is_ascii_digit()), "{}", r);
        let sign = &exp[..1];
        let xx = &exp[1..];
        prop_assert_eq!(sign, if e < 0 { "-" } else { "+" }, "{}", r);
        prop_assert!(xx.len() >= 2 && xx.bytes().all(|b| b.is_ascii_digit()), "{}", r);
        prop_assert!(xx.len() == 2 || !xx.starts_with('0'), "{}", r);
        prop_assert_eq!(xx.parse::<i32>().unwrap(), e.abs());
    } else {
        // fixed notation, `.0` for integral values
        prop_assert!(!body.contains(['e', 'E']), "{}", r);
        let (int_part, frac) = body.split_once('.').ok_or_else(|| TestCaseError::fail(format!("{r}: no point")))?;
        prop_assert!(!int_part.is_empty() && !frac.is_empty(), "{}", r);
        prop_assert!(int_part == "0" || !int_part.starts_with('0'), "{}", r);
        prop_assert!(body.bytes().filter(|&b| b != b'.').all(|b| b.is_ascii_digit()), "{}", r);
        if f.fract() == 0.0 {
            prop_assert_eq!(frac, "0", "{}", r);
        } else {
            prop_assert!(!frac.ends_with('0'), "{}", r);
        }
    }

    // The canonical writer writes exactly this, and the reader keeps it a float.
    let text = canonical::to_string(&Value::Number(Number::from_f64(f))).unwrap();
    prop_assert_eq!(&text, &r);
    let n = json::parse(&text).unwrap();
    prop_assert_eq!(n.as_number().and_then(Number::as_f64).map(f64::to_bits), Some(f.to_bits()));
    Ok(())
}

proptest! {
    #![proptest_config(config(4096))]

    #[test]
    fn python_float_repr_rules(f in arb_float()) {
        check_python_repr(f)?;
    }

    #[test]
    fn python_float_repr_rules_all_bit_patterns(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        check_python_repr(f)?;
    }
}

#[test]
fn python_float_repr_edges() {
    for &f in SPECIAL_FLOATS {
        check_python_repr(f).unwrap();
    }
    // Both sides of the notation boundaries.
    for f in [1e-5, 9.99e-5, 1e-4, 0.000_999, 9_999_999_999_999_998.0, 1e16, 1.000_000_000_000_000_2e16] {
        check_python_repr(f).unwrap();
        check_python_repr(-f).unwrap();
    }
    assert_eq!(canonical::python_float_repr(1e16), "1e+16");
    assert_eq!(canonical::python_float_repr(1e-5), "1e-05");
    assert_eq!(canonical::python_float_repr(1e100), "1e+100");
    assert_eq!(canonical::python_float_repr(-0.0), "-0.0");
    assert_eq!(canonical::python_float_repr(9_999_999_999_999_998.0), "9999999999999998.0");
}

/// When the exact binary value lies halfway between the two nearest shortest decimals,
/// Python's repr takes the even last digit (`repr(100000000000000.625)` is
/// `'100000000000000.62'`), as ryu does.
#[test]
fn python_float_repr_ties_to_even() {
    // x + 0.625 and x + 0.875 are exact for these x (ulp 1/64 at 1e14).
    let tie = 100_000_000_000_000.0_f64 + 0.625;
    assert_eq!(canonical::python_float_repr(tie), "100000000000000.62");
    assert_eq!(canonical::python_float_repr(-tie), "-100000000000000.62");
    assert_eq!(canonical::python_float_repr(203_847_819_964_379.0 + 0.625), "203847819964379.62");
    assert_eq!(canonical::python_float_repr(100_000_000_000_000.0 + 0.875), "100000000000000.88");
    check_python_repr(tie).unwrap();
}

// ---------------------------------------------------------------------------------------
// The reader never panics
// ---------------------------------------------------------------------------------------

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u",
    "\\ud83d",
    "\\ude00",
    "\\u00e9",
    "\\/",
    "\\x",
    "0",
    "-",
    "-0",
    "1",
    "12",
    "1e",
    "E+",
    "e-",
    "1.5",
    ".",
    "1e400",
    "-1e400",
    "1e-400",
    "123456789012345678901234567890",
    "true",
    "fals",
    "false",
    "null",
    "nul",
    "NaN",
    "Infinity",
    "-Infinity",
    " ",
    "\t",
    "\n",
    "\r",
    "\u{b}",
    "\"a\"",
    "\"k\":",
    "\u{feff}",
    "é",
    "\u{2028}",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "\u{1f600}",
    "\u{fffd}",
    "//",
    "/*",
    "'",
    "x",
];

fn check_reader(text: &str) -> Result<(), TestCaseError> {
    if let Ok(v) = json::parse(text) {
        let c = canonical::to_string(&v).unwrap();
        let again = canonical::to_string(&json::parse(&c).unwrap()).unwrap();
        prop_assert_eq!(c, again);
    }
    let _ = json::parse_with_depth(text, 3);
    Ok(())
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn reader_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(v) = json::parse_bytes(&bytes) {
            let c = canonical::to_string(&v).unwrap();
            prop_assert_eq!(json::parse(&c).unwrap(), json::parse_bytes(c.as_bytes()).unwrap());
        }
    }

    #[test]
    fn reader_never_panics_on_json_ish_bytes(
        bytes in proptest::collection::vec(
            prop_oneof![select(b"{}[],:\"\\u0123456789abcdefABCDEF.eE+-tnrfl \t\n".to_vec()), any::<u8>()],
            0..120
        )
    ) {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            check_reader(text)?;
        }
        let _ = json::parse_bytes(&bytes);
    }

    #[test]
    fn reader_never_panics_on_tokens(tokens in proptest::collection::vec(select(TOKENS), 0..40)) {
        check_reader(&tokens.concat())?;
    }

    /// Truncations and single-byte corruptions of valid documents.
    #[test]
    fn reader_never_panics_on_damaged_documents(j in arb_json(), seed in any::<u64>(), cut in any::<usize>(), byte in any::<u8>()) {
        let text = render(&j, seed, true);
        let mut bytes = text.into_bytes();
        let _ = json::parse_bytes(&bytes[..cut % (bytes.len() + 1)]);
        if !bytes.is_empty() {
            let at = cut % bytes.len();
            bytes[at] = byte;
            if let Ok(v) = json::parse_bytes(&bytes) {
                let c = canonical::to_string(&v).unwrap();
                prop_assert_eq!(&c, &canonical::to_string(&json::parse(&c).unwrap()).unwrap());
            }
        }
    }
}

#[test]
fn reader_depth_limit_without_stack_overflow() {
    let deep = "[".repeat(200_000);
    assert_eq!(json::parse(&deep).unwrap_err().code(), "JSON_DEPTH_LIMIT");
    let deep = "{\"a\":".repeat(200_000);
    assert_eq!(json::parse(&deep).unwrap_err().code(), "JSON_DEPTH_LIMIT");
    let ok = format!("{}{}", "[".repeat(json::DEFAULT_MAX_DEPTH), "]".repeat(json::DEFAULT_MAX_DEPTH));
    let v = json::parse(&ok).unwrap();
    assert_eq!(canonical::to_string(&v).unwrap(), ok);
}

// ---------------------------------------------------------------------------------------
// Verification never panics; mutations of a real package
// ---------------------------------------------------------------------------------------

/// "Now" for approval expiry: one day after the vector package's events.
const NOW_MICROS: i64 = 1_795_601_373_000_000; // 2026-11-25T10:09:33Z

fn opts() -> VerifyOptions {
    VerifyOptions { now_micros: Some(NOW_MICROS), expect_binding: None }
}

struct Base {
    package: Value,
    control_digest: Digest,
    binding_digest: Digest,
    package_digest_without_meta: Digest,
    bundle_digest_without_meta: Digest,
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

fn load_base() -> Option<Base> {
    let path = vectors_dir().join("audit_packages.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("note: {} not found; skipping the package mutation properties", path.display());
        return None;
    };
    let doc = json::parse(&text).unwrap();
    let case = doc
        .get("cases")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some("reference_mode_default"))
        .unwrap();
    let package = case.get("expected").and_then(|e| e.get("package")).unwrap().clone();
    let parsed = ParsedPackage::parse(&package).unwrap();
    let bundle = package.get("control_bundle").unwrap();
    Some(Base {
        control_digest: parsed.control_bundle.recompute_digest(),
        binding_digest: parsed.recompute_binding_digest(),
        package_digest_without_meta: digest_without_meta(&package),
        bundle_digest_without_meta: digest_without_meta(bundle),
        package,
    })
}

fn base() -> Option<&'static Base> {
    static BASE: OnceLock<Option<Base>> = OnceLock::new();
    BASE.get_or_init(load_base).as_ref()
}

/// Canonical digest of a package or bundle with its `meta` sections (the only content no
/// digest covers) removed.
fn digest_without_meta(v: &Value) -> Digest {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("meta");
        if let Some(Value::Object(cb)) = m.get_mut("control_bundle") {
            cb.remove("meta");
        }
    }
    canonical::digest(&v).unwrap()
}

/// Everything a caller may render from a verification must work and be canonicalizable.
fn render_verification(v: &Verification) -> Result<(), TestCaseError> {
    let flat = v.to_flat_value();
    let nested = v.to_nested_value();
    let reference = v.reference.to_reference_value();
    for x in [&flat, &nested, &reference] {
        prop_assert!(canonical::to_string(x).is_ok());
        let _ = canonical::to_display_string(x, Some(2));
    }
    prop_assert_eq!(flat.get("ok").and_then(Value::as_bool), Some(v.ok()));
    prop_assert!(!v.ok() || v.reference_ok());
    Ok(())
}

/// Every check's and advisory's name and verdict, in order.
fn verdicts(v: &Verification) -> Vec<(&'static str, bool)> {
    v.all_checks().chain(v.advisories.iter()).map(|c| (c.name, c.ok)).collect()
}

#[test]
fn base_package_verifies() {
    let Some(base) = base() else { return };
    let v = verify::verify_package(&base.package, &opts()).unwrap();
    assert!(v.ok(), "{:?}", v.to_flat_value());
    let b = verify::verify_bundle(base.package.get("control_bundle").unwrap(), &opts()).unwrap();
    assert!(b.ok(), "{:?}", b.to_flat_value());
}

#[test]
fn deeply_nested_content_in_a_package() {
    let Some(base) = base() else { return };
    let depth = json::DEFAULT_MAX_DEPTH - 8;
    let deep = json::parse(&format!("{}{}", "[".repeat(depth), "]".repeat(depth))).unwrap();
    let mut p = base.package.clone();
    if let Value::Object(m) = &mut p {
        m.insert("meta", deep.clone());
    }
    let events = at_mut(&mut p, &[Seg::Key("control_bundle".into()), Seg::Key("events".into())]).unwrap();
    if let Value::Array(events) = events {
        for e in events.iter_mut() {
            if let Value::Object(em) = e {
                em.insert("payload", deep.clone());
                em.insert("actor", deep.clone());
                em.insert("ts", deep.clone());
            }
        }
    }
    let v = verify::verify_package(&p, &opts()).unwrap();
    assert!(!v.ok());
    render_verification(&v).unwrap();
    let text = canonical::to_string(&p).unwrap();
    let v2 = verify::verify_package_json(&text, &opts()).unwrap();
    assert_eq!(verdicts(&v), verdicts(&v2));
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Idx(usize),
}

fn collect_paths(v: &Value, cur: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(cur.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m.iter() {
                cur.push(Seg::Key(k.to_owned()));
                collect_paths(c, cur, out);
                cur.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                cur.push(Seg::Idx(i));
                collect_paths(c, cur, out);
                cur.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    let mut cur = v;
    for s in path {
        cur = match (cur, s) {
            (Value::Object(m), Seg::Key(k)) => m.get(k)?,
            (Value::Array(a), Seg::Idx(i)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn at_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let mut cur = v;
    for s in path {
        cur = match (cur, s) {
            (Value::Object(m), Seg::Key(k)) => m.get_mut(k)?,
            (Value::Array(a), Seg::Idx(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Keys that the package and bundle readers give meaning to.
const KNOWN_KEYS: &[&str] = &[
    "package_version",
    "bundle_version",
    "control_bundle",
    "router",
    "mode",
    "ref",
    "bundle",
    "run_id",
    "digest",
    "binding",
    "integrity",
    "alg",
    "canonical_digest",
    "binding_digest",
    "provenance",
    "records",
    "meta",
    "present",
    "name",
    "snapshot",
    "overrides",
    "expires_at",
    "comment",
    "template_name",
    "events",
    "decision",
    "router_link",
    "control_router_link_digest",
    "run",
    "digests",
];

#[derive(Debug, Clone)]
enum Mutation {
    ChangeScalar(usize, J),
    DeleteKey(usize),
    InsertKey(usize, String, J),
    Swap(usize, usize, usize),
    Replace(usize, J),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let key = prop_oneof![select(KNOWN_KEYS).prop_map(str::to_owned), arb_string()];
    prop_oneof![
        3 => (any::<usize>(), arb_scalar()).prop_map(|(s, j)| Mutation::ChangeScalar(s, j)),
        2 => any::<usize>().prop_map(Mutation::DeleteKey),
        2 => (any::<usize>(), key, arb_json()).prop_map(|(s, k, j)| Mutation::InsertKey(s, k, j)),
        1 => (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(s, i, j)| Mutation::Swap(s, i, j)),
        1 => (any::<usize>(), arb_json()).prop_map(|(s, j)| Mutation::Replace(s, j)),
    ]
}

/// Apply `m` to `doc`; `false` when the document has nowhere to apply it.
fn apply(doc: &mut Value, m: &Mutation) -> bool {
    let mut paths = Vec::new();
    collect_paths(doc, &mut Vec::new(), &mut paths);
    let pick = |pred: &dyn Fn(&[Seg], &Value) -> bool, sel: usize| -> Option<Vec<Seg>> {
        let matching: Vec<&Vec<Seg>> = paths.iter().filter(|p| at(doc, p).is_some_and(|v| pred(p, v))).collect();
        (!matching.is_empty()).then(|| matching[sel % matching.len()].clone())
    };
    match m {
        Mutation::ChangeScalar(sel, j) => {
            let Some(p) = pick(&|_, v| !matches!(v, Value::Array(_) | Value::Object(_)), *sel) else { return false };
            *at_mut(doc, &p).unwrap() = to_value(j);
        }
        Mutation::DeleteKey(sel) => {
            let Some(p) = pick(&|p, _| matches!(p.last(), Some(Seg::Key(_))), *sel) else { return false };
            let (last, parent) = p.split_last().unwrap();
            let (Some(Value::Object(m)), Seg::Key(k)) = (at_mut(doc, parent), last) else { return false };
            m.remove(k);
        }
        Mutation::InsertKey(sel, key, j) => {
            let Some(p) = pick(&|_, v| matches!(v, Value::Object(_)), *sel) else { return false };
            let Some(Value::Object(m)) = at_mut(doc, &p) else { return false };
            m.insert(key.clone(), to_value(j));
        }
        Mutation::Swap(sel, i, j) => {
            let Some(p) = pick(&|_, v| v.as_array().is_some_and(|a| a.len() >= 2), *sel) else { return false };
            let Some(Value::Array(a)) = at_mut(doc, &p) else { return false };
            let i = i % a.len();
            let j = (i + 1 + j % (a.len() - 1)) % a.len();
            a.swap(i, j);
        }
        Mutation::Replace(sel, j) => {
            let Some(p) = pick(&|p, _| !p.is_empty(), *sel) else { return false };
            *at_mut(doc, &p).unwrap() = to_value(j);
        }
    }
    true
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary values: verification returns (mostly a shape error), never panics.
    #[test]
    fn verify_never_panics_on_arbitrary_values(j in arb_json()) {
        let v = to_value(&j);
        if let Ok(r) = verify::verify_package(&v, &opts()) {
            render_verification(&r)?;
        }
        if let Ok(r) = verify::verify_bundle(&v, &opts()) {
            render_verification(&r)?;
        }
    }
}

proptest! {
    #![proptest_config(config(600))]

    /// One mutation of the real package: verification never panics, the reference checks
    /// pass only if the content covered by the control bundle digest and by the binding
    /// digest is unchanged, and all checks pass only if nothing but `meta` changed.
    #[test]
    fn verify_package_single_mutation(m in arb_mutation()) {
        let Some(base) = base() else { return Ok(()) };
        let mut doc = base.package.clone();
        prop_assume!(apply(&mut doc, &m));
        let Ok(r) = verify::verify_package(&doc, &opts()) else { return Ok(()) };
        render_verification(&r)?;
        let parsed = ParsedPackage::parse(&doc).unwrap();
        if r.reference_ok() {
            prop_assert_eq!(parsed.control_bundle.recompute_digest(), base.control_digest,
                "reference checks pass although the control bundle content changed");
            prop_assert_eq!(parsed.recompute_binding_digest(), base.binding_digest,
                "reference checks pass although the binding changed");
        }
        if r.ok() {
            prop_assert_eq!(digest_without_meta(&doc), base.package_digest_without_meta,
                "all checks pass although content outside meta changed");
        }
        // Verifying the canonical text gives the same verdicts (details may differ: they
        // render values in the input's key order).
        let again = verify::verify_package_json(&canonical::to_string(&doc).unwrap(), &opts()).unwrap();
        prop_assert_eq!(verdicts(&again), verdicts(&r));
    }

    /// The same for the control bundle verified on its own.
    #[test]
    fn verify_bundle_single_mutation(m in arb_mutation()) {
        let Some(base) = base() else { return Ok(()) };
        let mut doc = base.package.get("control_bundle").unwrap().clone();
        prop_assume!(apply(&mut doc, &m));
        let Ok(r) = verify::verify_bundle(&doc, &opts()) else { return Ok(()) };
        render_verification(&r)?;
        if r.reference_ok() {
            prop_assert_eq!(ParsedBundle::parse(&doc, "").unwrap().recompute_digest(), base.control_digest,
                "bundle_digest passes although the content changed");
        }
        if r.ok() {
            prop_assert_eq!(digest_without_meta(&doc), base.bundle_digest_without_meta,
                "all checks pass although content outside meta changed");
        }
    }

    /// Several mutations in a row: never panics.
    #[test]
    fn verify_never_panics_on_mutation_chains(ms in proptest::collection::vec(arb_mutation(), 1..5)) {
        let Some(base) = base() else { return Ok(()) };
        let mut doc = base.package.clone();
        for m in &ms {
            apply(&mut doc, m);
        }
        if let Ok(r) = verify::verify_package(&doc, &opts()) {
            render_verification(&r)?;
        }
        if let Some(cb) = doc.get("control_bundle") {
            if let Ok(r) = verify::verify_bundle(cb, &opts()) {
                render_verification(&r)?;
            }
        }
    }
}

/// The reader keeps key order and the last repeated value; the mutation helpers rely on
/// `Map` behaving like a Python dict.
#[test]
fn map_is_a_python_dict() {
    let mut m = Map::new();
    m.insert("b", Value::int(1));
    m.insert("a", Value::int(2));
    m.insert("b", Value::int(3));
    assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a"]);
    assert_eq!(canonical::to_string(&Value::Object(m)).unwrap(), r#"{"a":2,"b":3}"#);
    assert_eq!(canonical::to_string(&json::parse("-0").unwrap()).unwrap(), "0");
    assert_eq!(canonical::to_string(&json::parse("-0.0").unwrap()).unwrap(), "-0.0");
}
