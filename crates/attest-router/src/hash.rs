//! The two digest functions of the router contract, over `attest_verify::canonical`:
//! `H_a` (attest dialect, every nexus-attest digest) and `H_r` (router dialect, every
//! nexus-router digest), and the key-sorted copy nexus-router stores payloads as.

use attest_verify::canonical::{self, CanonicalError, Dialect};
use attest_verify::json::{Map, Number, Value};
use attest_verify::Digest;

/// `H_a(value)`: SHA-256 of nexus-attest canonical JSON (non-ASCII raw). This is the
/// digest of the compiled router request and of the router response.
///
/// Errors only on NaN or an infinity inside `value` (the reference refuses them too:
/// `Out of range float values are not JSON compliant`).
pub fn attest_digest(value: &Value) -> Result<Digest, CanonicalError> {
    digest_of(value, Dialect::Attest)
}

/// `H_r(value)`: SHA-256 of nexus-router's JSON (keys sorted, compact, everything
/// outside U+0020–U+007E escaped). This is the run bundle digest (of `{run, events}`),
/// the provenance value (of `{request, results}`) and the subprocess `args_digest`.
pub fn router_digest(value: &Value) -> Digest {
    // The router dialect writes non-finite floats as bare tokens, so this cannot fail.
    digest_of(value, Dialect::Router).unwrap_or_else(|_| Digest::of(b""))
}

/// Hash the canonical text of a (small) value through a buffer sized to it: cheaper
/// than a streaming sink for the few-kilobyte documents of a run.
pub(crate) fn digest_of(value: &Value, dialect: Dialect) -> Result<Digest, CanonicalError> {
    let mut buf = Vec::with_capacity(512);
    canonical::write(value, dialect, &mut buf)?;
    Ok(Digest::of(&buf))
}

/// [`digest_of`] for an object given as borrowed entries.
pub(crate) fn digest_of_entries(entries: &[(&str, &Value)], dialect: Dialect) -> Result<Digest, CanonicalError> {
    let mut buf = Vec::with_capacity(1024);
    canonical::write_entries(entries, dialect, &mut buf)?;
    Ok(Digest::of(&buf))
}

/// The router JSON text of `value` (the bytes `H_r` hashes).
pub fn router_json(value: &Value) -> String {
    canonical::to_string_in(value, Dialect::Router).unwrap_or_default()
}

/// A copy of `value` with object keys sorted by code point at every depth: what
/// nexus-router's store gives back for a payload (it stores router JSON and parses it).
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m.sorted() {
                out.insert(k, sorted(v));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// [`sorted`] without copying: consumes `value` and moves its parts; a value whose
/// objects are all sorted already is returned as is.
pub fn into_sorted(value: Value) -> Value {
    if is_sorted(&value) {
        return value;
    }
    match value {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, into_sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(into_sorted).collect()),
        other => other,
    }
}

/// Whether every object in `value` has its keys in code point order.
pub(crate) fn is_sorted(value: &Value) -> bool {
    match value {
        Value::Object(m) => {
            let mut prev: Option<&str> = None;
            for (k, v) in m.iter() {
                if prev.is_some_and(|p| p >= k) || !is_sorted(v) {
                    return false;
                }
                prev = Some(k);
            }
            true
        }
        Value::Array(a) => a.iter().all(is_sorted),
        _ => true,
    }
}

/// An unsigned integer as a JSON integer of any size.
pub(crate) fn uint(n: u64) -> Value {
    match i64::try_from(n) {
        Ok(i) => Value::int(i),
        Err(_) => Number::from_integer_text(&n.to_string()).map(Value::Number).unwrap_or(Value::Null),
    }
}

/// A `usize` count as a JSON integer.
pub(crate) fn count(n: usize) -> Value {
    uint(u64::try_from(n).unwrap_or(u64::MAX))
}

/// Build an object from entries in the given order.
pub(crate) fn obj<const N: usize>(entries: [(&str, Value); N]) -> Map {
    let mut m = Map::with_capacity(N);
    for (k, v) in entries {
        m.insert(k, v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_differ_only_in_escaping() {
        let v = attest_verify::json::parse(r#"{"b":"é","a":1}"#).unwrap();
        assert_eq!(router_json(&v), r#"{"a":1,"b":"\u00e9"}"#);
        assert_ne!(attest_digest(&v).unwrap(), router_digest(&v));
        let ascii = attest_verify::json::parse(r#"{"b":"e","a":1}"#).unwrap();
        assert_eq!(attest_digest(&ascii).unwrap(), router_digest(&ascii));
    }

    #[test]
    fn sorted_sorts_every_depth_and_keeps_numbers() {
        let v = attest_verify::json::parse(r#"{"b":[{"d":1.0,"c":2}],"a":null}"#).unwrap();
        let s = sorted(&v);
        let keys: Vec<&str> = s.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(canonical::to_display_string(&s, None), r#"{"a": null, "b": [{"c": 2, "d": 1.0}]}"#);
    }

    #[test]
    fn big_unsigned_integers_keep_their_digits() {
        assert_eq!(router_json(&uint(u64::MAX)), "18446744073709551615");
        assert_eq!(router_json(&count(3)), "3");
    }
}
