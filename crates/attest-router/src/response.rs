//! What nexus-attest keeps of a router response (router.md 2.4): its digest
//! `H_a(response)` over the whole object, the run id as text and the step count as an
//! integer, converted the way the reference's Python does.

use attest_verify::canonical::{CanonicalError, Dialect};
use attest_verify::json::{Map, Number, Value};
use attest_verify::pyrepr::repr_str;
use attest_verify::Digest;

/// `response_digest = H_a(response)`: the whole object, unknown keys included, attest
/// dialect (non-ASCII raw). Recorded raw in `EXECUTION_COMPLETED` and prefixed in the
/// bundle's `router_link.router_result_digest`.
///
/// Errors on NaN or an infinity anywhere in the response (the reference then records
/// `EXECUTION_FAILED`).
pub fn response_digest(response: &Map) -> Result<Digest, CanonicalError> {
    let entries: Vec<(&str, &Value)> = response.iter().collect();
    crate::hash::digest_of_entries(&entries, Dialect::Attest)
}

/// The run id as `EXECUTION_COMPLETED` records it: Python's `str()` of
/// `response.get("run_id", "unknown")` (`"unknown"` when absent, `"None"` for null,
/// `"42"` for 42, `"True"` for true, Python reprs for lists and objects).
pub fn run_id_text(response: &Map) -> String {
    match response.get("run_id") {
        None => "unknown".to_owned(),
        Some(v) => py_str(v),
    }
}

/// The step count as `EXECUTION_COMPLETED` records it: Python's `int()` of
/// `response.get("steps_executed", 0)` (floats truncate, `"3"` parses, booleans are 0/1).
///
/// Errors (the reference records `EXECUTION_FAILED` with Python's message, which this
/// imitates): null, lists, objects, non-numeric strings, NaN and infinities.
pub fn steps_executed(response: &Map) -> Result<Number, String> {
    match response.get("steps_executed") {
        None => Ok(Number::from_i64(0)),
        Some(v) => py_int(v),
    }
}

fn py_int(v: &Value) -> Result<Number, String> {
    match v {
        Value::Bool(b) => Ok(Number::from_i64(i64::from(*b))),
        Value::Number(n) if n.is_integer() => Ok(n.clone()),
        Value::Number(n) => {
            let f = n.to_f64_lossy();
            if f.is_nan() {
                return Err("cannot convert float NaN to integer".to_owned());
            }
            if f.is_infinite() {
                return Err("cannot convert float infinity to integer".to_owned());
            }
            let t = f.trunc();
            Ok(Number::from_integer_text(&format!("{t:.0}")).unwrap_or_else(|| Number::from_i64(0)))
        }
        Value::String(s) => {
            let t = s.trim();
            let (sign, digits) = match t.strip_prefix('-') {
                Some(rest) => ("-", rest),
                None => ("", t.strip_prefix('+').unwrap_or(t)),
            };
            let valid = !digits.is_empty()
                && !digits.starts_with('_')
                && !digits.ends_with('_')
                && !digits.contains("__")
                && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
            let parsed =
                valid.then(|| Number::from_integer_text(&format!("{sign}{}", digits.replace('_', "")))).flatten();
            parsed.ok_or_else(|| format!("invalid literal for int() with base 10: {}", repr_str(s)))
        }
        Value::Null => Err(type_error("NoneType")),
        Value::Array(_) => Err(type_error("list")),
        Value::Object(_) => Err(type_error("dict")),
    }
}

fn type_error(name: &str) -> String {
    format!("int() argument must be a string, a bytes-like object or a real number, not '{name}'")
}

/// Python's `str()` of a JSON value.
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of a JSON value as `json.loads` builds it.
fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_nan() => "nan".to_owned(),
            Some(f) if f.is_infinite() => if f > 0.0 { "inf" } else { "-inf" }.to_owned(),
            _ => n.to_string(),
        },
        Value::String(s) => repr_str(s),
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter().map(|(k, v)| format!("{}: {}", repr_str(k), py_repr(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use attest_verify::json;

    use super::*;

    fn obj(text: &str) -> Map {
        json::parse(text).unwrap().as_object().unwrap().clone()
    }

    #[test]
    fn digest_covers_the_whole_response() {
        let r = obj(
            r#"{"run_id":"e036ee45-4076-4799-bab3-4a94de2c8518","steps_executed":2,"status":"completed","summary":{"mode":"dry_run","steps":2,"tools_used":["snapshot","rotate"],"outputs_total":2,"outputs_applied":0,"outputs_skipped":0,"adapter_id":"null"}}"#,
        );
        assert_eq!(
            response_digest(&r).unwrap().to_hex(),
            "98186f839586df85ef1d45f871024ca8b290066056684b9aeb6a2f8592a08381"
        );
        let mut nan = Map::new();
        nan.insert("x", Value::Number(Number::from_f64(f64::NAN)));
        assert!(response_digest(&nan).is_err());
    }

    #[test]
    fn run_id_text_is_python_str() {
        assert_eq!(run_id_text(&obj(r#"{}"#)), "unknown");
        assert_eq!(run_id_text(&obj(r#"{"run_id": null}"#)), "None");
        assert_eq!(run_id_text(&obj(r#"{"run_id": 42}"#)), "42");
        assert_eq!(run_id_text(&obj(r#"{"run_id": "r1"}"#)), "r1");
        assert_eq!(run_id_text(&obj(r#"{"run_id": 1.5}"#)), "1.5");
        assert_eq!(run_id_text(&obj(r#"{"run_id": true}"#)), "True");
        assert_eq!(run_id_text(&obj(r#"{"run_id": ["a", 1, null, {"k": false}]}"#)), "['a', 1, None, {'k': False}]");
    }

    #[test]
    fn steps_executed_is_python_int() {
        let n = |t: &str| steps_executed(&obj(t)).map(|n| n.to_string());
        assert_eq!(n(r#"{}"#).unwrap(), "0");
        assert_eq!(n(r#"{"steps_executed": 3}"#).unwrap(), "3");
        assert_eq!(n(r#"{"steps_executed": 2.9}"#).unwrap(), "2");
        assert_eq!(n(r#"{"steps_executed": -2.9}"#).unwrap(), "-2");
        assert_eq!(n(r#"{"steps_executed": " 3 "}"#).unwrap(), "3");
        assert_eq!(n(r#"{"steps_executed": "1_000"}"#).unwrap(), "1000");
        assert_eq!(n(r#"{"steps_executed": true}"#).unwrap(), "1");
        assert_eq!(n(r#"{"steps_executed": 1e20}"#).unwrap(), "100000000000000000000");
        assert_eq!(n(r#"{"steps_executed": "three"}"#).unwrap_err(), "invalid literal for int() with base 10: 'three'");
        assert!(n(r#"{"steps_executed": null}"#).unwrap_err().ends_with("not 'NoneType'"));
        assert!(n(r#"{"steps_executed": "3.0"}"#).is_err());
    }
}
