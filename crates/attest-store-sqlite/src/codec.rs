//! The stored text forms: JSON written exactly as Python's default `json.dumps` writes it,
//! read back with the exact JSON model, and rows decoded into records without panicking
//! on anything a file may hold.

use attest_events::{Actor, Event, Value};
use attest_store::{StoreError, TemplateRecord};
use attest_verify::canonical;
use rusqlite::types::ValueRef;
use rusqlite::Row;

use crate::error::{corrupt, Fail};

/// JSON text as Python's `json.dumps(value)` writes it: `", "`/`": "` separators, keys in
/// insertion order, non-ASCII and DEL escaped as `\uXXXX`.
pub(crate) fn json_text(value: &Value) -> Result<String, Fail> {
    let mut out = Vec::with_capacity(128);
    canonical::write_display(value, None, true, &mut out);
    String::from_utf8(out)
        .map_err(|_| Fail::Store(StoreError::Backend("json writer produced non-utf-8 text".to_owned())))
}

/// A list of strings as `json.dumps` writes it.
pub(crate) fn string_list_text(items: &[String]) -> Result<String, Fail> {
    json_text(&Value::Array(items.iter().map(|s| Value::str(s.as_str())).collect()))
}

/// Whether the value holds a float that JSON cannot carry (NaN, infinities). Such a value
/// would not read back, so writes refuse it.
pub(crate) fn has_non_finite(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_float() && !n.to_f64_lossy().is_finite(),
        Value::Array(items) => items.iter().any(has_non_finite),
        Value::Object(map) => map.iter().any(|(_, v)| has_non_finite(v)),
        _ => false,
    }
}

/// Column `i` as text; anything else (NULL, a number, a blob, invalid UTF-8) is corrupt.
pub(crate) fn text<'r>(row: &'r Row<'_>, i: usize, what: &str) -> Result<&'r str, Fail> {
    match row.get_ref(i)? {
        ValueRef::Text(bytes) => {
            std::str::from_utf8(bytes).map_err(|_| corrupt(format!("stored {what} is not valid utf-8")))
        }
        other => Err(corrupt(format!("stored {what} is {} instead of text", type_name(other)))),
    }
}

/// Column `i` as an integer.
pub(crate) fn integer(row: &Row<'_>, i: usize, what: &str) -> Result<i64, Fail> {
    match row.get_ref(i)? {
        ValueRef::Integer(n) => Ok(n),
        other => Err(corrupt(format!("stored {what} is {} instead of an integer", type_name(other)))),
    }
}

/// Column `i` as an integer or NULL.
pub(crate) fn opt_integer(row: &Row<'_>, i: usize, what: &str) -> Result<Option<i64>, Fail> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(n)),
        other => Err(corrupt(format!("stored {what} is {} instead of an integer or null", type_name(other)))),
    }
}

fn type_name(v: ValueRef<'_>) -> &'static str {
    match v {
        ValueRef::Null => "null",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real number",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "a blob",
    }
}

/// Parse stored JSON text.
pub(crate) fn parse_json(text: &str, what: &str) -> Result<Value, Fail> {
    attest_verify::json::parse(text).map_err(|e| corrupt(format!("stored {what} is not json: {e}")))
}

/// Parse a stored list of strings (a template's modes, capabilities or labels).
pub(crate) fn parse_string_list(text: &str, what: &str) -> Result<Vec<String>, Fail> {
    let value = parse_json(text, what)?;
    let Some(items) = value.as_array() else {
        return Err(corrupt(format!("stored {what} is a json {} instead of a list", value.type_name())));
    };
    items
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| corrupt(format!("stored {what} holds a non-string"))))
        .collect()
}

/// A stored sequence number: a non-negative integer.
pub(crate) fn seq_of(n: i64, owner: &str) -> Result<u64, Fail> {
    u64::try_from(n).map_err(|_| corrupt(format!("negative seq {n} stored for `{owner}`")))
}

/// A seq for binding (seqs above `i64::MAX` cannot be stored).
pub(crate) fn seq_param(seq: u64) -> Result<i64, Fail> {
    i64::try_from(seq).map_err(|_| Fail::Store(StoreError::InvalidInput(format!("seq {seq} is too large to store"))))
}

/// An event row selected as `seq, event_type, ts, actor_type, actor_id, payload, digest`.
pub(crate) fn event_from_row(row: &Row<'_>, owner: &str) -> Result<Event, Fail> {
    let seq = seq_of(integer(row, 0, "seq")?, owner)?;
    let payload = parse_json(text(row, 5, "payload")?, "payload")?;
    Ok(Event {
        decision_id: owner.to_owned(),
        seq,
        event_type: text(row, 1, "event_type")?.to_owned(),
        ts: text(row, 2, "ts")?.to_owned(),
        actor: Actor::from_stored(text(row, 3, "actor_type")?, text(row, 4, "actor_id")?),
        payload,
        digest: text(row, 6, "digest")?.to_owned(),
    })
}

/// The template columns in the order [`template_from_row`] reads them.
pub(crate) const TEMPLATE_COLUMNS: &str = "t.name, t.description, t.min_approvals, t.allowed_modes, \
     t.require_adapter_capabilities, t.max_steps, t.labels, t.created_at, t.created_by_type, t.created_by_id, t.digest";

/// A template row selected with [`TEMPLATE_COLUMNS`].
pub(crate) fn template_from_row(row: &Row<'_>) -> Result<TemplateRecord, Fail> {
    Ok(TemplateRecord {
        name: text(row, 0, "template name")?.to_owned(),
        description: text(row, 1, "template description")?.to_owned(),
        min_approvals: integer(row, 2, "min_approvals")?,
        allowed_modes: parse_string_list(text(row, 3, "allowed_modes")?, "allowed_modes")?,
        require_adapter_capabilities: parse_string_list(
            text(row, 4, "require_adapter_capabilities")?,
            "require_adapter_capabilities",
        )?,
        max_steps: opt_integer(row, 5, "max_steps")?,
        labels: parse_string_list(text(row, 6, "template labels")?, "template labels")?,
        created_at: text(row, 7, "template created_at")?.to_owned(),
        created_by: Actor::from_stored(text(row, 8, "created_by_type")?, text(row, 9, "created_by_id")?),
        digest: text(row, 10, "template digest")?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_is_python_json_dumps() {
        let v = attest_verify::json::parse(
            r#"{"goal":"Résumé \u007f 🔑","plan":null,"n":1,"f":1.0,"big":123456789012345678901234567890,"l":["a",[],{}]}"#,
        )
        .unwrap();
        // json.dumps(...) of the same dict in Python 3.11
        assert_eq!(
            json_text(&v).unwrap(),
            r#"{"goal": "R\u00e9sum\u00e9 \u007f \ud83d\udd11", "plan": null, "n": 1, "f": 1.0, "big": 123456789012345678901234567890, "l": ["a", [], {}]}"#
        );
        assert_eq!(string_list_text(&["dry_run".into(), "apply".into()]).unwrap(), r#"["dry_run", "apply"]"#);
        assert_eq!(string_list_text(&[]).unwrap(), "[]");
    }

    #[test]
    fn lists_and_seqs() {
        assert_eq!(parse_string_list(r#"["a", "b"]"#, "x").unwrap(), ["a", "b"]);
        assert!(parse_string_list(r#"{"a": 1}"#, "x").is_err());
        assert!(parse_string_list(r#"[1]"#, "x").is_err());
        assert!(parse_string_list("nope", "x").is_err());
        assert!(seq_of(-1, "d").is_err());
        assert_eq!(seq_of(7, "d").unwrap(), 7);
        assert!(seq_param(u64::MAX).is_err());
    }

    #[test]
    fn non_finite() {
        let mut m = attest_events::Map::new();
        m.insert("x", Value::Array(vec![Value::Number(attest_verify::json::Number::from_f64(f64::INFINITY))]));
        assert!(has_non_finite(&Value::Object(m)));
        assert!(!has_non_finite(&attest_verify::json::parse(r#"{"a":[1.5,2]}"#).unwrap()));
    }
}
