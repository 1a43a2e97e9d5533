//! The subset of JSON Schema 2020-12 the MCP tools use, as a typed model: each schema is
//! written out for `tools/list` and checks tool arguments with the same rules, so what is
//! published and what is enforced cannot drift apart.

use nexus_attest::verify::json::{Map, Value};

/// The dialect every published schema names in `$schema`.
pub(crate) const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A `format` the validator asserts (2020-12 treats formats as annotations by default;
/// the MCP boundary enforces them, `spec/core.md` §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// RFC 4122 text form: 8-4-4-4-12 hexadecimal digits.
    Uuid,
    /// RFC 3339 `date-time`, offset required.
    DateTime,
}

/// A `pattern` with the function that decides it (no regex engine here).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pattern {
    /// The ECMA-262 pattern published in the schema.
    pub(crate) source: &'static str,
    /// Whether a string matches `source`.
    pub(crate) matches: fn(&str) -> bool,
}

/// One schema of the subset.
#[derive(Debug, Clone)]
pub(crate) enum Schema {
    /// A string with optional constraints (`values` empty: any value).
    String { min_len: usize, values: &'static [&'static str], format: Option<Format>, pattern: Option<Pattern> },
    /// An integer (JSON Schema `integer`: a float with no fraction counts, and is read as
    /// the integer) within optional bounds.
    Integer { min: Option<i64>, max: Option<i64> },
    /// `true` or `false`.
    Boolean,
    /// An array of `items`.
    Array { items: Box<Schema>, min_items: usize, unique: bool },
    /// Any JSON object: a document (bundle, package, router bundle) read by the tool.
    Document,
    /// The actor `{"type": "human"|"system", "id": non-empty string}`.
    Actor,
    /// The inner schema or `null`.
    Nullable(Box<Schema>),
}

/// A string.
pub(crate) fn string() -> Schema {
    Schema::String { min_len: 0, values: &[], format: None, pattern: None }
}

/// A non-empty string.
pub(crate) fn non_empty() -> Schema {
    Schema::String { min_len: 1, values: &[], format: None, pattern: None }
}

/// One of `values`.
pub(crate) fn one_of(values: &'static [&'static str]) -> Schema {
    Schema::String { min_len: 0, values, format: None, pattern: None }
}

/// A string in `format`.
pub(crate) fn formatted(format: Format) -> Schema {
    Schema::String { min_len: 0, values: &[], format: Some(format), pattern: None }
}

/// A non-empty string matching `pattern`.
pub(crate) fn patterned(pattern: Pattern) -> Schema {
    Schema::String { min_len: 1, values: &[], format: None, pattern: Some(pattern) }
}

/// An integer within bounds.
pub(crate) fn integer(min: Option<i64>, max: Option<i64>) -> Schema {
    Schema::Integer { min, max }
}

/// An array of strings.
pub(crate) fn strings() -> Schema {
    Schema::Array { items: Box::new(string()), min_items: 0, unique: false }
}

/// A non-empty list of distinct values from `values`.
pub(crate) fn distinct_of(values: &'static [&'static str]) -> Schema {
    Schema::Array { items: Box::new(one_of(values)), min_items: 1, unique: true }
}

/// `schema` or `null`.
pub(crate) fn nullable(schema: Schema) -> Schema {
    Schema::Nullable(Box::new(schema))
}

/// A property of a tool's input object.
#[derive(Debug, Clone)]
pub(crate) struct Prop {
    /// The argument name.
    pub(crate) name: &'static str,
    /// Its schema.
    pub(crate) schema: Schema,
    /// Whether it must be present.
    pub(crate) required: bool,
    /// The method's default (an annotation; absent arguments are not filled in).
    pub(crate) default: Option<Value>,
    /// What it means.
    pub(crate) description: &'static str,
}

/// A required property.
pub(crate) fn required(name: &'static str, schema: Schema, description: &'static str) -> Prop {
    Prop { name, schema, required: true, default: None, description }
}

/// An optional property.
pub(crate) fn optional(name: &'static str, schema: Schema, description: &'static str) -> Prop {
    Prop { name, schema, required: false, default: None, description }
}

/// An optional property with the method's default.
pub(crate) fn defaulted(name: &'static str, schema: Schema, default: Value, description: &'static str) -> Prop {
    Prop { name, schema, required: false, default: Some(default), description }
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::with_capacity(pairs.len());
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn strs(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::str(*s)).collect())
}

impl Schema {
    /// The JSON Schema text of this schema.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Schema::String { min_len, values, format, pattern } => {
                let mut m = Map::new();
                m.insert("type", Value::str("string"));
                if !values.is_empty() {
                    m.insert("enum", strs(values));
                }
                if *min_len > 0 {
                    m.insert("minLength", Value::int(i64::try_from(*min_len).unwrap_or(i64::MAX)));
                }
                if let Some(p) = pattern {
                    m.insert("pattern", Value::str(p.source));
                }
                match format {
                    Some(Format::Uuid) => {
                        m.insert("format", Value::str("uuid"));
                    }
                    Some(Format::DateTime) => {
                        m.insert("format", Value::str("date-time"));
                    }
                    None => {}
                }
                Value::Object(m)
            }
            Schema::Integer { min, max } => {
                let mut m = Map::new();
                m.insert("type", Value::str("integer"));
                if let Some(n) = min {
                    m.insert("minimum", Value::int(*n));
                }
                if let Some(n) = max {
                    m.insert("maximum", Value::int(*n));
                }
                Value::Object(m)
            }
            Schema::Boolean => obj(vec![("type", Value::str("boolean"))]),
            Schema::Array { items, min_items, unique } => {
                let mut m = Map::new();
                m.insert("type", Value::str("array"));
                m.insert("items", items.to_json());
                if *min_items > 0 {
                    m.insert("minItems", Value::int(i64::try_from(*min_items).unwrap_or(i64::MAX)));
                }
                if *unique {
                    m.insert("uniqueItems", Value::Bool(true));
                }
                Value::Object(m)
            }
            Schema::Document => obj(vec![("type", Value::str("object"))]),
            Schema::Actor => obj(vec![
                ("type", Value::str("object")),
                (
                    "properties",
                    obj(vec![
                        ("type", obj(vec![("type", Value::str("string")), ("enum", strs(&["human", "system"]))])),
                        ("id", obj(vec![("type", Value::str("string")), ("minLength", Value::int(1))])),
                    ]),
                ),
                ("required", strs(&["type", "id"])),
                ("additionalProperties", Value::Bool(false)),
            ]),
            Schema::Nullable(inner) => {
                let mut v = inner.to_json();
                if let Value::Object(m) = &mut v {
                    if let Some(Value::String(t)) = m.get("type").cloned() {
                        m.insert("type", strs(&[t.as_str(), "null"]));
                    }
                    if let Some(Value::Array(values)) = m.get_mut("enum") {
                        values.push(Value::Null);
                    }
                }
                v
            }
        }
    }

    /// Check `v` at `path`, appending one message per violation to `errors`. A float
    /// with no fraction where an integer is expected is replaced by the integer.
    pub(crate) fn check(&self, v: &mut Value, path: &str, errors: &mut Vec<String>) {
        match self {
            Schema::Nullable(inner) => {
                if !v.is_null() {
                    inner.check(v, path, errors);
                }
            }
            Schema::String { min_len, values, format, pattern } => {
                let Value::String(s) = v else {
                    errors.push(format!("`{path}` must be {} (got {})", self.expected(), found(v)));
                    return;
                };
                if !values.is_empty() && !values.contains(&s.as_str()) {
                    errors.push(format!("`{path}` must be {} (got {})", self.expected(), found(v)));
                } else if s.chars().count() < *min_len {
                    errors.push(format!("`{path}` must not be empty"));
                } else if let Some(p) = pattern.filter(|p| !(p.matches)(s)) {
                    errors.push(format!("`{path}` must match `{}` (got {})", p.source, found(v)));
                } else if let Some(f) = format.filter(|f| !format_ok(*f, s)) {
                    let what = match f {
                        Format::Uuid => "a UUID (8-4-4-4-12 hexadecimal digits)",
                        Format::DateTime => "an RFC 3339 date-time with an offset, e.g. `2026-01-31T12:00:00Z`",
                    };
                    errors.push(format!("`{path}` must be {what} (got {})", found(v)));
                }
            }
            Schema::Integer { min, max } => {
                if let Value::Number(n) = v {
                    if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                        // JSON Schema counts 2.0 as an integer; pass the method an integer.
                        *v = Value::int(f as i64);
                    }
                }
                let ok = match v.as_i64() {
                    Some(n) => min.is_none_or(|lo| n >= lo) && max.is_none_or(|hi| n <= hi),
                    None => false,
                };
                if !ok {
                    errors.push(format!("`{path}` must be {} (got {})", self.expected(), found(v)));
                }
            }
            Schema::Boolean => {
                if !matches!(v, Value::Bool(_)) {
                    errors.push(format!("`{path}` must be a boolean (got {})", found(v)));
                }
            }
            Schema::Document => {
                if !matches!(v, Value::Object(_)) {
                    errors.push(format!("`{path}` must be a JSON object (got {})", found(v)));
                }
            }
            Schema::Array { items, min_items, unique } => {
                let Value::Array(list) = v else {
                    errors.push(format!("`{path}` must be {} (got {})", self.expected(), found(v)));
                    return;
                };
                if list.len() < *min_items {
                    errors.push(format!("`{path}` must have at least {min_items} item(s)"));
                }
                for (i, item) in list.iter_mut().enumerate() {
                    items.check(item, &format!("{path}[{i}]"), errors);
                }
                if *unique {
                    for (i, item) in list.iter().enumerate() {
                        if list.iter().take(i).any(|earlier| earlier == item) {
                            errors.push(format!("`{path}` must not repeat {}", found(item)));
                        }
                    }
                }
            }
            Schema::Actor => {
                let Value::Object(m) = v else {
                    errors.push(format!(
                        "`{path}` must be an object {{\"type\": \"human\"|\"system\", \"id\": string}} (got {})",
                        found(v)
                    ));
                    return;
                };
                for k in m.keys().filter(|k| *k != "type" && *k != "id") {
                    errors.push(format!("unknown key `{path}.{k}`"));
                }
                match m.get_mut("type") {
                    None => errors.push(format!("`{path}.type` is required")),
                    Some(t) => one_of(&["human", "system"]).check(t, &format!("{path}.type"), errors),
                }
                match m.get_mut("id") {
                    None => errors.push(format!("`{path}.id` is required")),
                    Some(id) => non_empty().check(id, &format!("{path}.id"), errors),
                }
            }
        }
    }

    /// What a value must be, in words.
    fn expected(&self) -> String {
        match self {
            Schema::String { values, .. } if !values.is_empty() => {
                let names: Vec<String> = values.iter().map(|s| format!("`{s}`")).collect();
                format!("one of {}", names.join(", "))
            }
            Schema::String { min_len, .. } if *min_len > 0 => "a non-empty string".to_owned(),
            Schema::String { .. } => "a string".to_owned(),
            Schema::Integer { min: Some(lo), max: Some(hi) } => format!("an integer from {lo} to {hi}"),
            Schema::Integer { min: Some(lo), max: None } => format!("an integer >= {lo}"),
            Schema::Integer { min: None, max: Some(hi) } => format!("an integer <= {hi}"),
            Schema::Integer { min: None, max: None } => "an integer".to_owned(),
            Schema::Boolean => "a boolean".to_owned(),
            Schema::Array { items, .. } => format!("an array of {}", items.expected_plural()),
            Schema::Document => "a JSON object".to_owned(),
            Schema::Actor => "an actor object".to_owned(),
            Schema::Nullable(inner) => format!("{} or null", inner.expected()),
        }
    }

    fn expected_plural(&self) -> String {
        match self {
            Schema::String { values, .. } if !values.is_empty() => self.expected(),
            Schema::String { .. } => "strings".to_owned(),
            other => other.expected(),
        }
    }
}

/// The object schema of a tool's input: `props` in order, no other keys.
pub(crate) fn object_schema(props: &[Prop]) -> Value {
    let mut properties = Map::with_capacity(props.len());
    for p in props {
        let mut s = match p.schema.to_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        s.insert("description", Value::str(p.description));
        if let Some(d) = &p.default {
            s.insert("default", d.clone());
        }
        properties.insert(p.name, Value::Object(s));
    }
    let mut m = Map::new();
    m.insert("$schema", Value::str(DIALECT));
    m.insert("type", Value::str("object"));
    m.insert("properties", Value::Object(properties));
    let req: Vec<&str> = props.iter().filter(|p| p.required).map(|p| p.name).collect();
    if !req.is_empty() {
        m.insert("required", strs(&req));
    }
    m.insert("additionalProperties", Value::Bool(false));
    Value::Object(m)
}

/// Check a tool's arguments against `props`: unknown keys, then each property in order.
/// Returns every violation; an empty list means the arguments are valid (integers may
/// have been normalised in place).
pub(crate) fn check_object(props: &[Prop], args: &mut Map) -> Vec<String> {
    let mut errors = Vec::new();
    for k in args.keys() {
        if !props.iter().any(|p| p.name == k) {
            errors.push(format!("unknown argument `{}`", clip(k)));
        }
    }
    for p in props {
        match args.get_mut(p.name) {
            None if p.required => errors.push(format!("`{}` is required", p.name)),
            None => {}
            Some(v) => p.schema.check(v, p.name, &mut errors),
        }
    }
    errors
}

/// A short description of what was found, for messages (user text clipped, in
/// backticks).
fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_integer() => format!("the integer `{}`", clip(&number_text(v))),
        Value::Number(_) => format!("the number `{}`", clip(&number_text(v))),
        Value::String(s) => format!("`{}`", clip(s)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn number_text(v: &Value) -> String {
    nexus_attest::verify::canonical::to_display_string(v, None)
}

/// At most 64 characters of user text, with `…` when cut.
fn clip(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

fn format_ok(f: Format, s: &str) -> bool {
    match f {
        Format::Uuid => is_uuid(s),
        Format::DateTime => is_date_time(s),
    }
}

/// RFC 4122 text form (any version, either case).
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// RFC 3339 `date-time` (§5.6): `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T`/`Z` in
/// either case, leap second allowed, calendar-checked.
pub(crate) fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (Some(year), Some(month), Some(day)) = (num(0, 4), num(5, 2), num(8, 2)) else { return false };
    if !(at(4, b'-') && at(7, b'-') && (at(10, b'T') || at(10, b't'))) {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days {
        return false;
    }
    let (Some(hour), Some(minute), Some(second)) = (num(11, 2), num(14, 2), num(17, 2)) else { return false };
    if !(at(13, b':') && at(16, b':')) || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let digits = b.iter().skip(i + 1).take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += 1 + digits;
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let (Some(oh), Some(om)) = (num(i + 1, 2), num(i + 4, 2)) else { return false };
            at(i + 3, b':') && oh <= 23 && om <= 59 && i + 6 == b.len()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_and_date_time_formats() {
        assert!(is_uuid("0b6c3f4e-8a1d-4c2e-9f10-5a6b7c8d9e0f"));
        assert!(is_uuid("0B6C3F4E-8A1D-4C2E-9F10-5A6B7C8D9E0F"));
        assert!(!is_uuid("0b6c3f4e8a1d4c2e9f105a6b7c8d9e0f"));
        assert!(!is_uuid("nope"));
        for ok in ["2026-01-31T12:00:00Z", "2024-02-29t23:59:60.123456+05:30", "2026-12-01T00:00:00-00:00"] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2026-01-31T12:00:00",
            "2026-02-29T12:00:00Z",
            "2026-13-01T12:00:00Z",
            "2026-01-31 12:00:00Z",
            "2026-01-31T24:00:00Z",
            "2026-01-31T12:00:00.Z",
            "2026-01-31T12:00:00+0530",
            "2026-01-31T12:00:00Zjunk",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn integers_accept_whole_floats_and_respect_bounds() {
        let s = integer(Some(1), Some(1000));
        let mut errors = Vec::new();
        let mut v = Value::Number(nexus_attest::verify::json::Number::from_f64(2.0));
        s.check(&mut v, "limit", &mut errors);
        assert!(errors.is_empty());
        assert_eq!(v, Value::int(2));
        for bad in ["0", "1001", "2.5", "\"3\"", "true", "123456789012345678901234567890"] {
            let mut v = nexus_attest::verify::json::parse(bad).unwrap();
            let mut errors = Vec::new();
            s.check(&mut v, "limit", &mut errors);
            assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
            assert!(errors[0].starts_with("`limit` must be an integer from 1 to 1000"), "{errors:?}");
        }
    }

    #[test]
    fn nullable_schemas_publish_null() {
        let v = nullable(integer(Some(1), None)).to_json();
        assert_eq!(
            nexus_attest::verify::canonical::to_display_string(&v, None),
            r#"{"type": ["integer", "null"], "minimum": 1}"#
        );
        let mut errors = Vec::new();
        nullable(integer(Some(1), None)).check(&mut Value::Null, "max_steps", &mut errors);
        assert!(errors.is_empty());
    }

    #[test]
    fn actor_and_arrays() {
        let mut errors = Vec::new();
        let mut v = nexus_attest::verify::json::parse(r#"{"type": "robot", "id": "", "x": 1}"#).unwrap();
        Schema::Actor.check(&mut v, "actor", &mut errors);
        assert_eq!(errors.len(), 3, "{errors:?}");
        let mut errors = Vec::new();
        let mut v = nexus_attest::verify::json::parse(r#"["dry_run", "dry_run", "x"]"#).unwrap();
        distinct_of(&["dry_run", "apply"]).check(&mut v, "allowed_modes", &mut errors);
        assert_eq!(errors.len(), 2, "{errors:?}");
    }
}
