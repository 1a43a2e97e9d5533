//! The one canonical JSON writer: every digest in Nexus Attest hashes bytes made here.
//!
//! Two dialects share this code and differ only in string escaping (and non-finite
//! floats): [`Dialect::Attest`] (the nexus-attest rules of the golden vectors: non-ASCII
//! written raw) and [`Dialect::Router`] (nexus-router: everything outside U+0020–U+007E
//! escaped as `\uXXXX`, astral characters as surrogate pairs). Both sort object keys by
//! code point at every depth and write no whitespace.

use std::fmt;

use crate::digest::Digest;
use crate::json::Value;
use crate::sha256::Sha256;

/// Which canonical JSON dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// nexus-attest canonical JSON (Python `json.dumps(sort_keys=True,
    /// separators=(",", ":"), ensure_ascii=False, allow_nan=False)`).
    Attest,
    /// nexus-router's digest JSON (the same with `ensure_ascii=True`, `allow_nan=True`).
    Router,
}

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CanonicalError {
    /// NaN or an infinity in the attest dialect.
    NonFiniteFloat,
}

impl CanonicalError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            CanonicalError::NonFiniteFloat => "CANONICAL_NON_FINITE",
        }
    }
}

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CanonicalError::NonFiniteFloat => f.write_str("out of range float values are not json compliant"),
        }
    }
}

impl std::error::Error for CanonicalError {}

/// Where canonical bytes go: a buffer, or a hasher.
pub trait Sink {
    /// Append bytes.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A sink that hashes what it receives, buffering small writes.
#[derive(Debug, Default)]
pub struct HashSink {
    hasher: Sha256,
    buf: Vec<u8>,
    len: u64,
}

const HASH_BUF: usize = 16 * 1024;

impl HashSink {
    /// A fresh sink.
    pub fn new() -> HashSink {
        HashSink { hasher: Sha256::new(), buf: Vec::with_capacity(HASH_BUF), len: 0 }
    }

    /// Number of bytes received.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was received.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The SHA-256 of everything received.
    pub fn finish(mut self) -> Digest {
        self.hasher.update(&self.buf);
        Digest::from_bytes(self.hasher.finalize())
    }
}

impl Sink for HashSink {
    fn put(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.buf.len() + bytes.len() > HASH_BUF {
            self.hasher.update(&self.buf);
            self.buf.clear();
            if bytes.len() >= HASH_BUF {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf.extend_from_slice(bytes);
    }
}

/// Write the canonical form of `value` in `dialect` to `out`.
///
/// Keys are sorted by code point at every depth; the output of the attest dialect is
/// byte-identical to the reference's canonical JSON. Fails only on a non-finite float in
/// the attest dialect (nothing meaningful has been written then). Recursion depth equals
/// the value's nesting depth, which the reader limits.
pub fn write(value: &Value, dialect: Dialect, out: &mut dyn Sink) -> Result<(), CanonicalError> {
    let router = dialect == Dialect::Router;
    write_value(value, router, true, out)
}

/// Write the canonical form of an object given as borrowed entries (keys must be
/// unique), without building a [`Value`]: the bytes equal those of the same object
/// built as a value.
pub fn write_entries(entries: &[(&str, &Value)], dialect: Dialect, out: &mut dyn Sink) -> Result<(), CanonicalError> {
    let router = dialect == Dialect::Router;
    out.put(b"{");
    let mut first = true;
    let mut result = Ok(());
    for_each_sorted(
        entries.len(),
        |i| entries.get(i).map(|e| e.0).unwrap_or(""),
        |i| {
            if result.is_err() {
                return;
            }
            if let Some((k, v)) = entries.get(i) {
                if !first {
                    out.put(b",");
                }
                first = false;
                write_str(k, router, out);
                out.put(b":");
                result = write_value(v, router, true, out);
            }
        },
    );
    result?;
    out.put(b"}");
    Ok(())
}

/// Visit the indices `0..n` in the code point order of `key(i)`, without allocating for
/// small objects (up to 32 keys are sorted in a stack buffer; already sorted keys are
/// visited directly).
fn for_each_sorted<'k>(n: usize, key: impl Fn(usize) -> &'k str, mut visit: impl FnMut(usize)) {
    if (1..n).all(|i| key(i - 1) < key(i)) {
        (0..n).for_each(visit);
        return;
    }
    if n <= 32 {
        let mut idx = [0u8; 32];
        for (i, slot) in idx.iter_mut().enumerate().take(n) {
            *slot = i as u8;
        }
        let part = idx.get_mut(..n).unwrap_or(&mut []);
        part.sort_unstable_by(|a, b| key(usize::from(*a)).cmp(key(usize::from(*b))));
        for &i in part.iter() {
            visit(usize::from(i));
        }
    } else {
        let mut idx: Vec<usize> = (0..n).collect();
        idx.sort_unstable_by(|a, b| key(*a).cmp(key(*b)));
        idx.into_iter().for_each(visit);
    }
}

/// Write a JSON string literal in `dialect`.
pub fn write_string(s: &str, dialect: Dialect, out: &mut dyn Sink) {
    write_str(s, dialect == Dialect::Router, out);
}

/// The canonical text of `value` (attest dialect).
pub fn to_string(value: &Value) -> Result<String, CanonicalError> {
    to_string_in(value, Dialect::Attest)
}

/// The canonical text of `value` in `dialect`.
pub fn to_string_in(value: &Value, dialect: Dialect) -> Result<String, CanonicalError> {
    let mut out = Vec::new();
    write(value, dialect, &mut out)?;
    // Both dialects only ever write valid UTF-8 (strings are Rust strings).
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// The canonical bytes of `value` (attest dialect).
pub fn to_bytes(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write(value, Dialect::Attest, &mut out)?;
    Ok(out)
}

/// SHA-256 of the attest canonical bytes of `value`.
pub fn digest(value: &Value) -> Result<Digest, CanonicalError> {
    digest_in(value, Dialect::Attest)
}

/// SHA-256 of the canonical bytes of `value` in `dialect`.
pub fn digest_in(value: &Value, dialect: Dialect) -> Result<Digest, CanonicalError> {
    let mut sink = HashSink::new();
    write(value, dialect, &mut sink)?;
    Ok(sink.finish())
}

/// Write JSON preserving the object key order as stored (not canonical: for display and
/// tool output only, never hashed). `indent` of `None` is compact with `", "`/`": "`
/// separators like Python's default `json.dumps`; `Some(n)` pretty-prints.
pub fn write_display(value: &Value, indent: Option<usize>, ascii: bool, out: &mut dyn Sink) {
    write_display_inner(value, indent, ascii, 0, out);
}

/// [`write_display`] into a `String`.
pub fn to_display_string(value: &Value, indent: Option<usize>) -> String {
    let mut out = Vec::new();
    write_display(value, indent, false, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn write_display_inner(value: &Value, indent: Option<usize>, ascii: bool, level: usize, out: &mut dyn Sink) {
    let newline = |out: &mut dyn Sink, level: usize| {
        if let Some(n) = indent {
            out.put(b"\n");
            for _ in 0..n * level {
                out.put(b" ");
            }
        }
    };
    match value {
        Value::Array(items) if !items.is_empty() => {
            out.put(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.put(if indent.is_some() { b"," } else { b", " });
                }
                newline(out, level + 1);
                write_display_inner(item, indent, ascii, level + 1, out);
            }
            newline(out, level);
            out.put(b"]");
        }
        Value::Object(map) if !map.is_empty() => {
            out.put(b"{");
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.put(if indent.is_some() { b"," } else { b", " });
                }
                newline(out, level + 1);
                write_str(k, ascii, out);
                out.put(b": ");
                write_display_inner(v, indent, ascii, level + 1, out);
            }
            newline(out, level);
            out.put(b"}");
        }
        Value::Number(n) => {
            if n.write_to(out, true).is_err() {
                out.put(b"null");
            }
        }
        other => {
            // Scalars and empty containers print as in canonical form.
            let _ = write_value(other, ascii, true, out);
        }
    }
}

fn write_value(value: &Value, router: bool, sort: bool, out: &mut dyn Sink) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.put(b"null"),
        Value::Bool(true) => out.put(b"true"),
        Value::Bool(false) => out.put(b"false"),
        Value::Number(n) => n.write_to(out, router)?,
        Value::String(s) => write_str(s, router, out),
        Value::Array(items) => {
            out.put(b"[");
            let mut first = true;
            for item in items {
                if !first {
                    out.put(b",");
                }
                first = false;
                write_value(item, router, sort, out)?;
            }
            out.put(b"]");
        }
        Value::Object(map) => {
            out.put(b"{");
            let mut first = true;
            let mut emit = |k: &str, v: &Value, out: &mut dyn Sink| -> Result<(), CanonicalError> {
                if !first {
                    out.put(b",");
                }
                first = false;
                write_str(k, router, out);
                out.put(b":");
                write_value(v, router, sort, out)
            };
            if sort && map.len() > 1 {
                let entries = map.entries();
                let mut result = Ok(());
                for_each_sorted(
                    entries.len(),
                    |i| entries.get(i).map(|e| e.0.as_str()).unwrap_or(""),
                    |i| {
                        if result.is_ok() {
                            if let Some((k, v)) = entries.get(i) {
                                result = emit(k, v, out);
                            }
                        }
                    },
                );
                result?;
            } else {
                for (k, v) in map.iter() {
                    emit(k, v, out)?;
                }
            }
            out.put(b"}");
        }
    }
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_escape(unit: u32, out: &mut dyn Sink) {
    let b = [
        b'\\',
        b'u',
        HEX[((unit >> 12) & 0xF) as usize],
        HEX[((unit >> 8) & 0xF) as usize],
        HEX[((unit >> 4) & 0xF) as usize],
        HEX[(unit & 0xF) as usize],
    ];
    out.put(&b);
}

fn short_escape(b: u8) -> Option<&'static [u8]> {
    match b {
        b'"' => Some(b"\\\""),
        b'\\' => Some(b"\\\\"),
        b'\n' => Some(b"\\n"),
        b'\r' => Some(b"\\r"),
        b'\t' => Some(b"\\t"),
        0x08 => Some(b"\\b"),
        0x0C => Some(b"\\f"),
        _ => None,
    }
}

/// Write a JSON string literal. Attest: escape `"`, `\` and C0 controls only. Router
/// (`ascii`): additionally escape every character outside U+0020–U+007E.
fn write_str(s: &str, ascii: bool, out: &mut dyn Sink) {
    out.put(b"\"");
    let bytes = s.as_bytes();
    if !ascii {
        let mut run = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b < 0x20 || b == b'"' || b == b'\\' {
                out.put(bytes.get(run..i).unwrap_or(&[]));
                match short_escape(b) {
                    Some(e) => out.put(e),
                    None => hex_escape(u32::from(b), out),
                }
                run = i + 1;
            }
        }
        out.put(bytes.get(run..).unwrap_or(&[]));
    } else {
        let mut run = 0;
        for (i, c) in s.char_indices() {
            let cp = c as u32;
            if (0x20..0x7F).contains(&cp) && c != '"' && c != '\\' {
                continue;
            }
            out.put(bytes.get(run..i).unwrap_or(&[]));
            if cp < 0x80 {
                match short_escape(cp as u8) {
                    Some(e) => out.put(e),
                    None => hex_escape(cp, out),
                }
            } else if cp < 0x10000 {
                hex_escape(cp, out);
            } else {
                let v = cp - 0x10000;
                hex_escape(0xD800 + (v >> 10), out);
                hex_escape(0xDC00 + (v & 0x3FF), out);
            }
            run = i + c.len_utf8();
        }
        out.put(bytes.get(run..).unwrap_or(&[]));
    }
    out.put(b"\"");
}

/// Write a float as Python's `repr` does: the shortest decimal that round-trips, fixed
/// notation when the decimal exponent `E` satisfies `-4 <= E < 16` (integral values keep
/// `.0`), else `d[.ddd]e±XX`. Non-finite: an error in the attest dialect; `NaN`,
/// `Infinity`, `-Infinity` in the router dialect.
pub(crate) fn write_float(f: f64, out: &mut dyn Sink, router: bool) -> Result<(), CanonicalError> {
    if !f.is_finite() {
        if !router {
            return Err(CanonicalError::NonFiniteFloat);
        }
        out.put(if f.is_nan() {
            b"NaN"
        } else if f > 0.0 {
            b"Infinity"
        } else {
            b"-Infinity"
        });
        return Ok(());
    }
    out.put(python_float_repr(f).as_bytes());
    Ok(())
}

/// Python's `repr(float)` for a finite value.
pub fn python_float_repr(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0".to_owned() } else { "0.0".to_owned() };
    }
    // Rust's `{:e}` gives the shortest round-trip digit count. Among the decimals of that
    // length Python takes the one nearest the exact binary value, ties to even; Rust's
    // exact formatting rounds the same way, so re-format at that precision.
    let shortest = format!("{f:e}");
    let n = shortest.split('e').next().unwrap_or("").chars().filter(char::is_ascii_digit).count();
    let exact = format!("{:.*e}", n.saturating_sub(1), f);
    let (raw_mantissa, exp) = match exact.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (exact.as_str(), 0),
    };
    let mantissa = if raw_mantissa.contains('.') {
        raw_mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        raw_mantissa
    };
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut s = String::with_capacity(digits.len() + 8);
    if neg {
        s.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            s.push_str("0.");
            for _ in 0..(-exp - 1) {
                s.push('0');
            }
            s.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                s.push_str(&digits);
                for _ in digits.len()..int_len {
                    s.push('0');
                }
                s.push_str(".0");
            } else {
                let (a, b) = digits.split_at(int_len);
                s.push_str(a);
                s.push('.');
                s.push_str(b);
            }
        }
    } else {
        s.push_str(mantissa);
        s.push('e');
        s.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            s.push('0');
        }
        s.push_str(&e.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn canon(text: &str) -> String {
        to_string(&parse(text).unwrap()).unwrap()
    }

    #[test]
    fn float_repr_matches_python() {
        let cases = [
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.2345678901234568e20, "1.2345678901234568e+20"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-2.25, "-2.25"),
            (123456789.125, "123456789.125"),
            (0.00012345, "0.00012345"),
            (1.5e-7, "1.5e-07"),
            // exact ties (ulp 1/64 at 1e14): Python rounds them to even
            (100_000_000_000_000.0 + 0.625, "100000000000000.62"),
            (100_000_000_000_000.0 + 0.875, "100000000000000.88"),
            (203_847_819_964_379.0 + 0.625, "203847819964379.62"),
        ];
        for (f, want) in cases {
            assert_eq!(python_float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn sorting_and_escaping() {
        assert_eq!(
            canon(r#"{"b":1,"a":[true,null],"":"\u0001\n\u007f/"}"#),
            "{\"\":\"\\u0001\\n\u{7f}/\",\"a\":[true,null],\"b\":1}"
        );
        assert_eq!(canon(r#"{"\ud83d\ude00":1,"\ue000":2}"#), "{\"\u{e000}\":2,\"\u{1f600}\":1}");
    }

    #[test]
    fn router_dialect_escapes_non_ascii() {
        let v = parse(r#"{"g":"Résumé 🔑\u007f","\uff00":1,"\ud83d\udd11":2}"#).unwrap();
        assert_eq!(
            to_string_in(&v, Dialect::Router).unwrap(),
            r#"{"g":"R\u00e9sum\u00e9 \ud83d\udd11\u007f","\uff00":1,"\ud83d\udd11":2}"#
        );
    }

    #[test]
    fn non_finite() {
        let v = Value::Number(crate::json::Number::from_f64(f64::NAN));
        assert!(to_string(&v).is_err());
        assert_eq!(to_string_in(&v, Dialect::Router).unwrap(), "NaN");
    }

    #[test]
    fn hash_sink_matches_buffer() {
        let mut text = String::from("[");
        for i in 0..5000 {
            text.push_str(&format!("{{\"k\":\"{i}\",\"v\":[{i},{i}.5]}},"));
        }
        text.push_str("0]");
        let v = parse(&text).unwrap();
        let bytes = to_bytes(&v).unwrap();
        assert_eq!(digest(&v).unwrap(), Digest::of(&bytes));
    }
}
