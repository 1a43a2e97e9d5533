//! Python's `int()` of a JSON value, which the original applies to receipt attempts and
//! to proof ledger indexes.

use attest_verify::json::{Number, Value};
use attest_verify::pyrepr::repr_str;
use attest_verify::replay::py_repr;

use crate::pattern::{decimal_value, Validation};

/// Why `int()` refused a value: the text Python would report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PyIntError {
    /// A string that is not a base-10 integer literal (the `repr` of the string).
    Literal(String),
    /// A value of another type (its `repr`), or a non-finite float.
    Type(String),
}

/// `int(value)`: integers as they are, booleans as 0/1, floats truncated toward zero,
/// strings as base-10 literals (surrounding whitespace, a sign, `_` between digits and
/// any Unicode decimal digits allowed).
pub(crate) fn py_int(value: &Value) -> Result<Number, PyIntError> {
    match value {
        Value::Bool(b) => Ok(Number::from_i64(i64::from(*b))),
        Value::Number(n) if n.is_integer() => Ok(n.clone()),
        Value::Number(n) => {
            let f = n.to_f64_lossy().trunc();
            if !f.is_finite() {
                return Err(PyIntError::Type(py_repr(value)));
            }
            // `{:.0}` of an integral f64 is its exact decimal expansion.
            Number::from_integer_text(&format!("{f:.0}")).ok_or_else(|| PyIntError::Type(py_repr(value)))
        }
        Value::String(s) => py_int_text(s).ok_or_else(|| PyIntError::Literal(repr_str(s))),
        other => Err(PyIntError::Type(py_repr(other))),
    }
}

/// `int(text)` for a string, `None` when Python raises `ValueError`.
pub(crate) fn py_int_text(text: &str) -> Option<Number> {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let mut digits = String::with_capacity(body.len() + 1);
    if neg {
        digits.push('-');
    }
    let mut prev_digit = false;
    for c in body.chars() {
        if c == '_' {
            if !prev_digit {
                return None;
            }
            prev_digit = false;
            continue;
        }
        let d = decimal_value(c, Validation::Compat)?;
        digits.push(char::from_digit(d, 10)?);
        prev_digit = true;
    }
    if !prev_digit {
        return None;
    }
    Number::from_integer_text(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_verify::json::parse;

    fn int(json: &str) -> Result<String, PyIntError> {
        py_int(&parse(json).unwrap()).map(|n| n.to_string())
    }

    #[test]
    fn python_int_semantics() {
        assert_eq!(int("2").unwrap(), "2");
        assert_eq!(int("2.9").unwrap(), "2");
        assert_eq!(int("-2.9").unwrap(), "-2");
        assert_eq!(int("true").unwrap(), "1");
        assert_eq!(int(r#"" 1_000 ""#).unwrap(), "1000");
        assert_eq!(int(r#""+7""#).unwrap(), "7");
        assert_eq!(int(r#""\u0663""#).unwrap(), "3");
        assert_eq!(int("99999999999999999999999").unwrap(), "99999999999999999999999");
        assert!(matches!(int(r#""2.5""#), Err(PyIntError::Literal(_))));
        assert!(matches!(int(r#""1__0""#), Err(PyIntError::Literal(_))));
        assert!(matches!(int(r#""_1""#), Err(PyIntError::Literal(_))));
        assert!(matches!(int(r#""""#), Err(PyIntError::Literal(_))));
        assert!(matches!(int("null"), Err(PyIntError::Type(_))));
        let inf = Value::Number(Number::from_f64(f64::INFINITY));
        assert!(matches!(py_int(&inf), Err(PyIntError::Type(_))));
    }
}
